// The one place where the Worker's Durable Object bindings become ports.
// The casts are checked the other way round: every object class `implements` its port.
import type { Env } from "../env";
import type { AccountPort, ComponentPort, ConnectionPort, HostPort, Ports, ThrottlePort } from "./ports";

const cache = new WeakMap<Env, Ports>();

export function portsOf(env: Env): Ports {
  let ports = cache.get(env);
  if (ports) return ports;
  ports = {
    account: (bare) => env.ACCOUNT.getByName(bare) as unknown as AccountPort,
    connection: (id) => env.SESSION.get(env.SESSION.idFromString(id)) as unknown as ConnectionPort,
    component: (jid) => env.COMPONENT.getByName(jid) as unknown as ComponentPort,
    host: (domain) => env.HOST.getByName(domain) as unknown as HostPort,
    throttle: (name) => env.THROTTLE.getByName(name) as unknown as ThrottlePort,
  };
  cache.set(env, ports);
  return ports;
}
