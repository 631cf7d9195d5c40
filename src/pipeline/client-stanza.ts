// A stanza from a bound client, top-down (RFC 6120 §8, §10; RFC 6121 §8.1):
//   check the element → authorise `from` → stamp `from` → rate limit → parse `to`
//   → check the kind's own rules → route (classify once, dispatch through the table).
import type { Connection } from "../stream/connection";
import type { ClientState } from "../stream/client-state";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, isResponse } from "../xml/stanza";
import { parseJid, type Jid } from "../jid/jid";
import type { Origin } from "./context";
import { route } from "./route";

type Bound = Extract<ClientState, { phase: "bound" }>;
type Conn = Connection<ClientState>;

const STANZAS = new Set(["message", "presence", "iq"]);
const IQ_TYPES = new Set(["get", "set", "result", "error"]);

/**
 * The connection's own record of whether its resource is available (RFC 6121 §4.2, §4.5),
 * written before the broadcast presence goes to the account: a contact's presence that
 * comes straight here (src/im/presence-straight.ts) is then written only while the
 * account, too, counts the resource as available.
 */
function noteAvailability(conn: Conn, state: Bound, type: string | undefined): void {
  const available = type === undefined ? true : type === "unavailable" ? false : state.available;
  if (available === state.available) return;
  conn.state = { ...state, available };
  conn.save();
}

export async function handleBoundStanza(conn: Conn, state: Bound, el: Element): Promise<void> {
  // Check: only the three stanzas, in the client namespace (RFC 6120 §4.9.3.24, §4.9.3.10).
  if (!STANZAS.has(el.name)) return conn.close("unsupported-stanza-type", `<${el.name}/> is not a stanza`);
  if ((el.attrs.xmlns ?? NS.client) !== NS.client) return conn.close("invalid-namespace", `stanzas are in ${NS.client}`);
  // Authorise: a client may only claim its own addresses (RFC 6120 §8.1.2.1, §4.9.3.9).
  const claimed = el.attrs.from;
  if (claimed !== undefined && claimed !== state.full && claimed !== state.bare) {
    return conn.close("invalid-from", "the from address does not match this session");
  }
  // Stamp: the server writes the full JID of the sending session.
  el.attrs.from = state.full;
  el.attrs.xmlns = NS.client;
  // Rate limit: a flooding connection gets policy-violation answers, its stream stays.
  if (!conn.allowStanza()) {
    if (!isResponse(el)) conn.send(errorReply(el, "policy-violation", "rate limit exceeded, slow down", state.host));
    return;
  }
  // Parse `to` once; everything after uses the parsed JID.
  let to: Jid | null = null;
  if (el.attrs.to !== undefined) {
    to = parseJid(el.attrs.to);
    if (!to) {
      if (!isResponse(el)) conn.send(errorReply(el, "jid-malformed", "invalid 'to' address", state.host));
      return;
    }
    el.attrs.to = to.full;
  }
  if (el.name === "iq" && (!IQ_TYPES.has(el.attrs.type ?? "") || el.attrs.id === undefined)) {
    // RFC 6120 §8.2.3: an IQ needs an id and one of four types.
    if (!isResponse(el)) conn.send(errorReply(el, "bad-request", "an IQ needs an id and a type", state.host));
    return;
  }
  if (el.name === "message" && !to) {
    // RFC 6120 §10.3.1: a message without `to` is addressed to the sender's bare JID.
    el.attrs.to = state.bare;
    to = parseJid(state.bare)!;
  }
  if (el.name === "presence" && !to) noteAvailability(conn, state, el.attrs.type);
  const origin: Origin = { kind: "client", bare: state.bare, resource: state.resource, full: state.full, host: state.host, session: conn.sessionId };
  await route(conn.services, origin, el, { to, reply: (s) => conn.send(s) });
}
