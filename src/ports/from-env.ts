// The one place where the Worker's Durable Object bindings become ports.
// The casts are checked the other way round: every object class `implements` its port.
import type { Env } from "../env";
import type { AccountPort, ComponentPort, ConnectionPort, HostPort, Ports, ThrottlePort } from "./ports";

const cache = new WeakMap<Env, Ports>();

export function portsOf(env: Env): Ports {
  let ports = cache.get(env);
  if (ports) return ports;
  const accounts = ids((name) => env.ACCOUNT.idFromName(name));
  const connections = ids((id) => env.SESSION.idFromString(id));
  const components = ids((name) => env.COMPONENT.idFromName(name));
  ports = {
    account: (bare) => env.ACCOUNT.get(accounts(bare)) as unknown as AccountPort,
    connection: (id) => env.SESSION.get(connections(id)) as unknown as ConnectionPort,
    component: (jid) => env.COMPONENT.get(components(jid)) as unknown as ComponentPort,
    host: (domain) => env.HOST.getByName(domain) as unknown as HostPort,
    throttle: (name) => env.THROTTLE.getByName(name) as unknown as ThrottlePort,
  };
  cache.set(env, ports);
  return ports;
}

const MAX_IDS = 4096;

/** Object ids remembered per isolate: deriving one (a hash of the name) costs more than
 *  the lookup, and the busy objects are asked for again and again. Ids are plain values,
 *  not I/O objects, so they may be shared across requests; stubs are made per call. */
function ids(derive: (key: string) => DurableObjectId): (key: string) => DurableObjectId {
  const known = new Map<string, DurableObjectId>();
  return (key) => {
    let id = known.get(key);
    if (!id) {
      if (known.size >= MAX_IDS) known.delete(known.keys().next().value!);
      known.set(key, (id = derive(key)));
    }
    return id;
  };
}
