// A shortcut for messages and IQs to a full JID that is bound: straight to the
// recipient's connection object, skipping the hop through its account (the benchmark
// showed the two RPCs per message dominate). It only ever saves work the account
// would do identically: RFC 6121 §8.5.3.1 / RFC 6120 §8.5.3.1 deliver such stanzas to
// that resource unchanged. The cache is a hint: the connection checks it is bound to
// exactly that full JID, and any miss takes the ordinary path through the account.
import type { Ports } from "../ports/ports";

const MAX_ROUTES = 4096;
const routes = new Map<string, string>(); // full JID → connection object id

/** Tries the shortcut; false when there is none or it no longer holds. */
export async function deliverDirect(ports: Ports, full: string, stanza: string): Promise<boolean> {
  const session = routes.get(full);
  if (!session) return false;
  let ok = false;
  try {
    ok = await ports.connection(session).deliverTo(full, stanza);
  } catch {
    ok = false;
  }
  if (!ok) routes.delete(full);
  return ok;
}

/** Learns where `full` is connected, for the next stanza (asked after an ordinary delivery). */
export async function learnRoute(ports: Ports, bare: string, resource: string): Promise<void> {
  const full = `${bare}/${resource}`;
  if (routes.has(full)) return;
  const session = await ports.account(bare).sessionOf(resource);
  if (!session) return;
  if (routes.size >= MAX_ROUTES) routes.delete(routes.keys().next().value!);
  routes.set(full, session);
}

/** For tests: forget every learned route. */
export function forgetRoutes(): void {
  routes.clear();
}
