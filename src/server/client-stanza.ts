// A stanza from a bound client, top-down (RFC 6120 §8, §10; RFC 6121 §4, §5):
//   check the element → stamp `from` → check `to` → rate limit → dispatch by kind and destination.
import type { Connection } from "../stream/connection";
import type { ClientState } from "../stream/client-state";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqResult, isResponse } from "../xml/stanza";
import { parseJid, type Jid } from "../jid/jid";
import { classify } from "../routing/destination";
import { accountStub, routeStanza } from "../routing/route";
import { dispatchIqRequest } from "../routing/dispatch-iq";
import { deliverDirect, learnRoute } from "../routing/direct";
import type { HostConfig } from "../config";
import { answerRegistrationIq } from "./registration";
import { handleHostMessage } from "../delegation/client-mode";
import { handlePrivilegedMessage, isPrivilegedMessageToHost } from "../privilege/privileged-message";
import { refuseMisaddressedIq } from "../privilege/misaddressed";
import { SUBSCRIPTION_TYPES } from "../roster/subscription";

type Bound = Extract<ClientState, { phase: "bound" }>;
type Conn = Connection<ClientState>;

const STANZAS = new Set(["message", "presence", "iq"]);
const IQ_TYPES = new Set(["get", "set", "result", "error"]);

export async function handleBoundStanza(conn: Conn, state: Bound, el: Element): Promise<void> {
  if (!STANZAS.has(el.name)) return conn.close("unsupported-stanza-type", `<${el.name}/> is not a stanza`);
  const ns = el.attrs.xmlns ?? NS.client;
  if (ns !== NS.client) return conn.close("invalid-namespace", `stanzas are in ${NS.client}`);
  const claimed = el.attrs.from;
  if (claimed !== undefined && claimed !== state.full && claimed !== state.bare) {
    return conn.close("invalid-from", "the from address does not match this session");
  }
  // RFC 6120 §8.1.2.1: the server stamps the full JID of the sending session.
  el.attrs.from = state.full;
  el.attrs.xmlns = NS.client;

  if (!conn.allowStanza()) {
    if (!isResponse(el)) conn.send(errorReply(el, "policy-violation", "rate limit exceeded, slow down", state.host));
    return;
  }

  let to: Jid | null = null;
  if (el.attrs.to !== undefined) {
    to = parseJid(el.attrs.to);
    if (!to) {
      if (!isResponse(el)) conn.send(errorReply(el, "jid-malformed", "invalid 'to' address", state.host));
      return;
    }
    el.attrs.to = to.full;
  }
  if (el.name === "iq") return onIq(conn, state, el, to);
  if (el.name === "message") return onMessage(conn, state, el, to);
  return onPresence(conn, state, el, to);
}

function sendAll(conn: Conn, stanzas: string[]): void {
  for (const s of stanzas) conn.send(s);
}

async function onIq(conn: Conn, state: Bound, iq: Element, to: Jid | null): Promise<void> {
  const type = iq.attrs.type;
  if (!IQ_TYPES.has(type) || iq.attrs.id === undefined) {
    if (!isResponse(iq)) conn.send(errorReply(iq, "bad-request", "an IQ needs an id and a type", state.host));
    return;
  }
  const host = conn.config.hosts[state.host]!;
  // XEP-0356 §4.4 (a): a privileged IQ not addressed to an account is refused here.
  const misaddressed = await refuseMisaddressedIq(conn.env, conn.config, iq, state.host);
  if (misaddressed) return sendAll(conn, misaddressed);
  // draft-cridland-xmpp-session §2: the legacy session IQ (advertised as optional in the
  // bind features) may come after binding too; it is a no-op answered with a result.
  if (type === "set" && iq.getChild("session", NS.session) && (!to || to.full === state.host)) {
    conn.send(iqResult(iq, undefined, state.host));
    return;
  }
  // RFC 6120 §10.3.3: an IQ without `to` is handled on behalf of the account,
  // except the few server-level ones clients address that way.
  if (!to || to.bare === state.bare && !to.resource) {
    if (iq.getChild("query", NS.register) && !to) {
      await answerRegistrationIq(conn.env, host, iq, state.bare, (el) => conn.send(el));
      return;
    }
    return sendAll(conn, await dispatchIqRequest(conn.env, conn.config, iq, { kind: "account", host: state.host, bare: state.bare, resource: "" }));
  }
  // XEP-0077 §3.3: password change and removal go to the user's own host.
  const registration = async (target: HostConfig, el: Element): Promise<string[] | null> => {
    if (target.domain !== state.host || !el.getChild("query", NS.register)) return null;
    await answerRegistrationIq(conn.env, host, el, state.bare, (reply) => conn.send(reply));
    return [];
  };
  sendAll(conn, await dispatchIqRequest(conn.env, conn.config, iq, classify(conn.config, to), { hostFirst: registration }));
}

async function onMessage(conn: Conn, state: Bound, msg: Element, to: Jid | null): Promise<void> {
  // RFC 6120 §10.3.1: a message without `to` is addressed to the sender's bare JID.
  if (!to) {
    msg.attrs.to = state.bare;
    to = parseJid(state.bare)!;
  }
  const dest = classify(conn.config, to);
  // XEP-0356 §4.3: a privileged account sends on behalf of a user through its host.
  if (dest.kind === "host" && isPrivilegedMessageToHost(conn.config, msg)) return sendAll(conn, await handlePrivilegedMessage(conn.env, conn.config, msg));
  // XEP-0355 client mode: the user's answer to a delegation request (a submitted form).
  if (dest.kind === "host") return sendAll(conn, await handleHostMessage(conn.env, conn.config, conn.config.hosts[dest.host]!, msg));
  if (dest.kind === "account" && dest.resource) {
    // To a bound full JID: straight to its connection when the route is known.
    const raw = msg.toString();
    if (await deliverDirect(conn.env, to.full, raw)) return;
    sendAll(conn, await routeStanza(conn.env, conn.config, msg, dest));
    conn.waitUntil(learnRoute(conn.env, dest.bare, dest.resource));
    return;
  }
  sendAll(conn, await routeStanza(conn.env, conn.config, msg, dest));
}

async function onPresence(conn: Conn, state: Bound, pres: Element, to: Jid | null): Promise<void> {
  const type = pres.attrs.type;
  const account = accountStub(conn.env, state.bare);
  if (!to) {
    // RFC 6121 §4.2, §4.4, §4.5: broadcast presence, handled by the account.
    if (type === undefined || type === "unavailable") {
      return sendAll(conn, await account.ownPresence(state.resource, pres.toString()));
    }
    if (type === "error") return;
    if (!isResponse(pres)) conn.send(errorReply(pres, "bad-request", "this presence needs a 'to'", state.host));
    return;
  }
  if (SUBSCRIPTION_TYPES.has(type)) {
    // RFC 6121 §3: subscription requests are addressed to bare JIDs and go through the user's roster.
    pres.attrs.to = to.bare;
    return sendAll(conn, await account.outboundSubscription(pres.toString()));
  }
  const dest = classify(conn.config, to);
  if (dest.kind === "host") return;
  if (type === undefined || type === "unavailable") {
    // RFC 6121 §4.6: directed presence; remembered so that going offline reaches it too.
    conn.waitUntil(account.trackDirectedPresence(state.resource, to.full, type === "unavailable"));
  }
  sendAll(conn, await routeStanza(conn.env, conn.config, pres, dest));
}
