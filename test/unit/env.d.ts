// The bindings `cloudflare:test` exposes are the gateway's own, typed with the object
// classes so that tests can call their RPC methods directly (src/ sees ports instead).
import type { Env as GatewayEnv } from "../../src/env";
import type { SessionObject } from "../../durable-objects/session";
import type { AccountObject } from "../../durable-objects/account";
import type { ComponentRouter } from "../../durable-objects/component-router";
import type { HostObject } from "../../durable-objects/host";
import type { ThrottleObject } from "../../durable-objects/throttle";

declare global {
  namespace Cloudflare {
    interface Env extends Omit<GatewayEnv, "SESSION" | "ACCOUNT" | "COMPONENT" | "HOST" | "THROTTLE"> {
      SESSION: DurableObjectNamespace<SessionObject>;
      ACCOUNT: DurableObjectNamespace<AccountObject>;
      COMPONENT: DurableObjectNamespace<ComponentRouter>;
      HOST: DurableObjectNamespace<HostObject>;
      THROTTLE: DurableObjectNamespace<ThrottleObject>;
    }
  }
}
