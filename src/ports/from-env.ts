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

/**
 * Ports for one Durable Object instance, whose stubs are made once per target and kept:
 * making a stub costs about as much as a small call, and an object calls the same few
 * others again and again (measured: −10 % CPU per message in `npm run bench -- --only=pairs`).
 * Per instance, not per isolate: a stub belongs to the object that made it. A stub that
 * failed is dropped (Cloudflare's error-handling guidance: make a new stub after an
 * exception), so the next call gets a fresh one. The Worker keeps `portsOf` (one stub
 * per call): its requests do not share I/O objects.
 */
export function objectPorts(env: Env): Ports {
  const base = portsOf(env);
  return {
    ...base,
    account: keptStubs(base.account),
    connection: keptStubs(base.connection),
    component: keptStubs(base.component),
  };
}

const MAX_STUBS = 256;

export function keptStubs<P extends object>(make: (key: string) => P): (key: string) => P {
  const known = new Map<string, P>();
  return (key) => {
    const found = known.get(key);
    if (found) return found;
    const stub = make(key) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const forget = () => {
      if (known.get(key) === port) known.delete(key);
    };
    // Every property is a method call on the stub; `then` is not, so that a port is never
    // taken for a promise (awaiting one would send `then` and its callbacks over RPC).
    const port = new Proxy({} as P, {
      get: (_target, name) => {
        if (typeof name !== "string" || name === "then") return undefined;
        return (...args: unknown[]) => {
          try {
            return Promise.resolve(stub[name]!(...args)).catch((e: unknown) => {
              forget();
              throw e;
            });
          } catch (e) {
            forget();
            throw e;
          }
        };
      },
    });
    if (known.size >= MAX_STUBS) known.delete(known.keys().next().value!);
    known.set(key, port);
    return port;
  };
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
