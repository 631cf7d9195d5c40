// The services a module needs, built for a test from a configuration and the test's bindings.
import type { GatewayConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import type { Services } from "../../../src/pipeline/context";
import { portsOf } from "../../../src/ports/from-env";
import { gatewayFor } from "../../../src/features";

/** The test's bindings (typed with the object classes) as the gateway's untyped ones. */
export function testPorts(env: object) {
  return portsOf(env as Env);
}

export function testServices(config: GatewayConfig, env: object): Services {
  const gateway = gatewayFor(config);
  return { config, ports: testPorts(env), routes: gateway.routes, disco: gateway.disco, mailboxTakes: (s) => gateway.componentEvents.takes(config, s), waitUntil: () => undefined };
}
