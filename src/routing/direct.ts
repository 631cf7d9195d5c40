// Shortcuts straight to the connection object that holds a destination, skipping the
// object that would only pass the stanza on: the recipient's account for an IQ response
// to a bound full JID (RFC 6120 §8.5.3.1 delivers it unchanged) and for a user's message
// it would only pass on (src/im/sender-view.ts, directMessage), a component's mailbox
// for a delegated request (the component's connection tracks it, see
// src/delegation/connection-delegations.ts) and for any stanza to a component but a
// presence (the mailbox only de-duplicates presences; an IQ request written there is
// remembered until answered, src/component/requests-in-flight.ts). Each cache is a hint:
// the connection checks it still holds exactly that destination, and any miss takes the
// ordinary path (which also teaches the cache, for the next stanza).
import type { DirectMessage, DirectOutcome, Ports } from "../ports/ports";
import type { StanzaHead } from "../component/requests-in-flight";

const MAX_ROUTES = 4096;

/** Destination → connection object id, bounded (oldest learned first out). */
class ConnectionCache {
  private readonly routes = new Map<string, string>();

  get(key: string): string | undefined {
    return this.routes.get(key);
  }

  set(key: string, session: string): void {
    if (this.routes.size >= MAX_ROUTES) this.routes.delete(this.routes.keys().next().value!);
    this.routes.set(key, session);
  }

  delete(key: string): void {
    this.routes.delete(key);
  }

  clear(): void {
    this.routes.clear();
  }
}

const resources = new ConnectionCache(); // full JID → its connection
const components = new ConnectionCache(); // component JID → its connection

/** Full JIDs whose connection declined a user's message lately (its account must see
 *  those: a blocklist, carbons), until when: meanwhile they take the account's way at once. */
const declined = new Map<string, number>();
const DECLINED_FOR_MS = 10_000;

async function attempt(cache: ConnectionCache, key: string, send: (session: string) => Promise<DirectOutcome>): Promise<boolean> {
  const session = cache.get(key);
  if (!session) return false;
  let outcome: DirectOutcome = false;
  try {
    outcome = await send(session);
  } catch {
    outcome = false;
  }
  if (outcome === "account") {
    if (declined.size >= MAX_ROUTES) declined.delete(declined.keys().next().value!);
    declined.set(key, Date.now() + DECLINED_FOR_MS);
    return false;
  }
  if (!outcome) cache.delete(key);
  return outcome;
}

/** Tries the shortcut to a bound full JID; false when there is none, it no longer holds,
 *  or (with `message`, a user's message) the recipient's account must see it. */
export async function deliverDirect(ports: Ports, full: string, stanza: string, message?: DirectMessage): Promise<boolean> {
  if (message) {
    const until = declined.get(full);
    if (until !== undefined) {
      if (until > Date.now()) return false;
      declined.delete(full);
    }
  }
  return attempt(resources, full, (session) => ports.connection(session).deliverTo(full, stanza, message));
}

/** Learns where `full` is connected, for the next stanza (asked after an ordinary delivery). */
export async function learnRoute(ports: Ports, bare: string, resource: string): Promise<void> {
  const full = `${bare}/${resource}`;
  if (resources.get(full)) return;
  const session = await ports.account(bare).sessionOf(resource);
  if (session) resources.set(full, session);
}

/** XEP-0355: a delegated request straight to the component's connection; null when the route is unknown or stale. */
export async function delegateDirect(ports: Ports, component: string, iq: string, host: string): Promise<string[] | null> {
  let answers: string[] | null = null;
  const ok = await attempt(components, component, async (session) => (answers = await ports.connection(session).delegate(component, iq, host)) !== null);
  return ok ? answers : null;
}

/** A stanza (in the component namespace) straight to the component's connection; false when the route is unknown or stale. */
export function deliverToComponentDirect(ports: Ports, component: string, stanza: string, head: StanzaHead): Promise<boolean> {
  return attempt(components, component, (session) => ports.connection(session).deliverToComponent(component, stanza, head));
}

/** Learns which connection a component is attached through (asked of its mailbox after a miss). */
export async function learnComponentRoute(ports: Ports, component: string): Promise<void> {
  if (components.get(component)) return;
  const session = await ports.component(component).currentConnection();
  if (session) components.set(component, session);
}

/** For tests: forget every learned route. */
export function forgetRoutes(): void {
  resources.clear();
  components.clear();
  declined.clear();
}
