// A user's broadcast presence (RFC 6121 §4.2, §4.4, §4.5) straight to each contact's
// available connections, past the contact's account, which would only pass it on: it
// delivers a broadcast to every available resource (§4.4.3) and drops it when its
// blocklist matches the sender (XEP-0191 §3.3). One RPC per delivery instead of two.
//
// Who keeps what:
// - The broadcasting side (this isolate) keeps, per contact, where the contact's available
//   resources are connected, asked of the contact's account once (`presenceRoutes`) and
//   forgotten whenever this isolate's accounts hear from the contact (a probe, which every
//   resource of the contact sends when it becomes available, RFC 6121 §4.3; a presence), when
//   a connection turns a presence down, and after ROUTES_FOR_MS.
// - The contact's connection knows whether its resource is available (it saw the client's
//   own broadcast presences, src/pipeline/client-stanza.ts) and checks its account's
//   blocklist (src/im/sender-view.ts); unsure (a stream bound before the record was
//   kept), it says so. A XEP-0198 resumption carries the account's record over.
// - Whatever a connection does not take goes to the contact's account for that resource
//   (`presenceToAvailable`), which delivers it only if the resource is available: nothing is
//   lost, nothing reaches an unavailable resource, and a resource that came online since the
//   routes were learned is reached by the probe that announced it.
// Not taken here: a contact on a host where a XEP-0356 entity receives the users' contacts'
// presences (`presence="roster"`): its account makes those copies.
import type { RouteContext } from "../pipeline/context";
import type { DirectOutcome, Ports, PresenceRoute } from "../ports/ports";
import { presenceTargets } from "../privilege/rules";
import { bareOf } from "../jid/jid";

/** How long learned routes are used before they are asked for again: a safety net (the
 *  probes and presences above forget them as soon as they change), long enough that a
 *  user's presence changes, a minute or more apart, find them. */
export const ROUTES_FOR_MS = 5 * 60_000;
const MAX_CONTACTS = 4096;

const known = new Map<string, { routes: PresenceRoute[]; until: number }>();
/** Reads under way, by contact: a read that a forget overtook is not kept. */
const reading = new Map<string, object>();

export function forgetPresenceRoutes(bare: string): void {
  known.delete(bare);
  reading.delete(bare);
}

async function learn(ports: Ports, bare: string): Promise<void> {
  const token = {};
  reading.set(bare, token);
  try {
    const routes = await ports.account(bare).presenceRoutes();
    if (reading.get(bare) !== token) return;
    if (known.size >= MAX_CONTACTS) known.delete(known.keys().next().value!);
    known.set(bare, { routes, until: Date.now() + ROUTES_FOR_MS });
  } finally {
    if (reading.get(bare) === token) reading.delete(bare);
  }
}

/** The route stage's handler for a presence an account sends to a contact's bare JID. */
export async function presenceStraight(ctx: RouteContext): Promise<boolean> {
  const { origin, dest, stanza, services } = ctx;
  if (origin.kind !== "account" || dest.kind !== "account" || dest.resource) return false;
  const type = stanza.attrs.type;
  if (type !== undefined && type !== "unavailable") return false;
  const from = stanza.attrs.from ?? "";
  if (!from.includes("/") || bareOf(from) !== origin.bare) return false;
  const host = services.config.hosts[dest.host];
  if (!host || presenceTargets(host, "contacts").length > 0) return false;
  const entry = known.get(dest.bare);
  if (!entry || entry.until < Date.now()) {
    if (entry) known.delete(dest.bare);
    if (!reading.has(dest.bare)) services.waitUntil(learn(services.ports, dest.bare));
    return false;
  }
  const raw = stanza.toString();
  await Promise.all(entry.routes.map(async (r) => {
    let outcome: DirectOutcome = false;
    try {
      outcome = await services.ports.connection(r.session).deliverTo(`${dest.bare}/${r.resource}`, raw, { kind: "presence", from });
    } catch {
      outcome = false;
    }
    if (outcome === true) return;
    if (outcome === false) forgetPresenceRoutes(dest.bare); // gone or unavailable: ask again next time
    await services.ports.account(dest.bare).presenceToAvailable(r.resource, raw);
  }));
  return true;
}

/** For tests: forget every learned route. */
export function forgetAllPresenceRoutes(): void {
  known.clear();
  reading.clear();
}
