// XEP-0356 §4.4 IQ access, executed in the managed account's object: the encapsulated
// IQ leaves as the user's bare JID, exactly where the user's own IQ would go (host
// handlers, XEP-0355 delegation, other accounts, components); its answer comes back to
// the bare JID, is matched with the pending table and returned wrapped in
// <privilege><forwarded/></privilege> with the outer id (§4.4.2).
//
// Timeout (not specified by the XEP): after PRIVILEGED_IQ_TIMEOUT_MS without an answer the
// entity gets an unwrapped <iq type='error'> from the user's bare JID with the outer id and
// <remote-server-timeout/> (type wait).
//
// References: XEP-0356 v0.4.1 §4.4 (#25–#31 of shared/xep0356.md), XEP-0297, RFC 6120 §8.3.3.
import type { Account } from "../account/account";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, isResponse, xml } from "../xml/stanza";
import { parseInternal } from "../account/account";
import { parseJid, bareOf, domainOf } from "../jid/jid";
import { classify } from "../routing/destination";
import { routeStanza } from "../routing/route";
import { handleHostIq } from "../server/host-iq";
import { delegateIfConfigured } from "../delegation/forward";
import { checkPrivilegedIq, entityOf, isPrivilegedIq, wrappedIqAnswer } from "./rules";
import { addPending, nextDeadline, takeExpired, takePending } from "./store";
import { audit } from "./audit";

export const PRIVILEGED_IQ_TIMEOUT_MS = 15_000;

/** The account object sets this so that pending IQs time out even when nothing else happens. */
export interface AlarmSetter {
  (at: number): void;
}
const alarms = new WeakMap<Account, AlarmSetter>();
export function setAlarmSetter(account: Account, f: AlarmSetter): void {
  alarms.set(account, f);
}

/**
 * A privileged IQ addressed to this account (bare or full JID). Returns null when `iq` is
 * not one (the account handles it as usual), else the replies for the entity.
 */
export async function handlePrivilegedIq(account: Account, iq: Element, resource: string, exists: boolean): Promise<string[] | null> {
  const type = iq.attrs.type;
  if (!isPrivilegedIq(iq) || (type !== "get" && type !== "set")) return null;
  const { env, config } = account;
  const entityJid = iq.attrs.from ?? "";
  const entity = entityOf(config, entityJid);
  const refuse = async (condition: "forbidden" | "bad-request", text: string, ns = "") => {
    await audit(env, config, { entity, access: "iq", action: ns ? `${type} ${ns}` : type, user: account.bare, outcome: condition, detail: text });
    return [errorReply(iq, condition, text, account.bare).toString()];
  };
  // (a): a full JID, or an account that does not exist, is not a managed bare JID.
  if (resource) return refuse("forbidden", "a privileged IQ is addressed to a managed entity's bare JID");
  if (!exists) return refuse("forbidden", `${account.bare} is not an account of this server`);
  const inheritedNs = config.components[domainOf(entityJid)] ? NS.component : NS.client;
  const check = checkPrivilegedIq(config, iq, entity, inheritedNs);
  if ("error" in check) return refuse(check.error, check.text);
  const inner = check.inner;
  const innerId = inner.attrs.id!;
  const action = `${type} ${check.namespace}`;
  await audit(env, config, { entity, access: "iq", action, user: account.bare, outcome: "ok", detail: inner.attrs.to ?? account.bare });

  const wrap = (answer: Element) => wrappedIqAnswer(answer, account.bare, entityJid, iq.attrs.id ?? "").toString();
  const self = inner.attrs.to === undefined || inner.attrs.to === account.bare;
  if (self) inner.attrs.to = account.bare;
  const peer = inner.attrs.to!;
  addPending(account.sql, { id: innerId, peer, entity, entityJid, outerId: iq.attrs.id ?? "", expires: Date.now() + PRIVILEGED_IQ_TIMEOUT_MS });
  schedule(account);

  const replies = await send(account, inner, self);
  // An answer that came back at once (the account's own handlers, a host, an error) is
  // wrapped now; otherwise the answer arrives later at the bare JID (answerArrived).
  const answer = replies.map((r) => parseInternalSafe(r)).find((r): r is Element => !!r && r.name === "iq" && isResponse(r) && r.attrs.id === innerId);
  if (!answer) return [];
  takePending(account.sql, innerId);
  return [wrap(answer)];
}

/** Sends the encapsulated IQ the way the user's own client's IQ would go (client-stanza.ts onIq). */
async function send(account: Account, inner: Element, self: boolean): Promise<string[]> {
  const { env, config } = account;
  if (self) {
    const forwarded = await delegateIfConfigured(env, config, account.host, inner, "bare", account.bare);
    if (forwarded) return forwarded;
    return account.receive(inner.toString());
  }
  const to = parseJid(inner.attrs.to!)!;
  const dest = classify(config, to);
  if (dest.kind === "host") {
    const target = config.hosts[dest.host]!;
    const forwarded = await delegateIfConfigured(env, config, target, inner, "host", null);
    if (forwarded) return forwarded;
    const reply = await handleHostIq(config, target, inner, env);
    return reply ? [reply.toString()] : [];
  }
  if (dest.kind === "account" && !dest.resource) {
    const forwarded = await delegateIfConfigured(env, config, config.hosts[dest.host]!, inner, "bare", dest.bare);
    if (forwarded) return forwarded;
  }
  return routeStanza(env, config, inner, dest);
}

function parseInternalSafe(s: string): Element | null {
  try {
    return parseInternal(s);
  } catch {
    return null;
  }
}

/**
 * An IQ result/error addressed to the account's bare JID: the answer to a privileged IQ?
 * Then it goes to the entity, wrapped; otherwise it is dropped as before. Returns [].
 */
export async function privilegedIqAnswer(account: Account, iq: Element): Promise<string[]> {
  expire(account);
  const id = iq.attrs.id;
  if (id === undefined) return [];
  const pending = takePending(account.sql, id);
  if (!pending) return [];
  const from = iq.attrs.from ?? account.bare;
  if (from !== pending.peer && bareOf(from) !== bareOf(pending.peer)) {
    addPending(account.sql, pending); // not the peer's answer: keep waiting
    return [];
  }
  const wrapped = wrappedIqAnswer(iq, account.bare, pending.entityJid, pending.outerId);
  await routeStanza(account.env, account.config, wrapped);
  return [];
}

/** Answers the entities whose privileged IQs waited too long (the account's alarm). */
export async function privilegedIqTimeouts(account: Account): Promise<void> {
  const expired = takeExpired(account.sql, Date.now());
  await Promise.all(expired.map(async (p) => {
    await audit(account.env, account.config, { entity: p.entity, access: "iq", action: "answer", user: account.bare, outcome: "timeout", detail: p.peer });
    const outer = xml("iq", { xmlns: NS.client, type: "get", from: p.entityJid, to: account.bare, id: p.outerId });
    const err = errorReply(outer, "remote-server-timeout", `no answer from ${p.peer}`, account.bare);
    await routeStanza(account.env, account.config, err);
  }));
  schedule(account);
}

function expire(account: Account): void {
  const next = nextDeadline(account.sql);
  if (next !== null && next <= Date.now()) account.waitUntil(privilegedIqTimeouts(account));
}

function schedule(account: Account): void {
  const next = nextDeadline(account.sql);
  if (next !== null) alarms.get(account)?.(next);
}
