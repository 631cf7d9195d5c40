// XEP-0356 §4.4 IQ access, executed in the managed account's object: the encapsulated
// IQ leaves as the user's bare JID, exactly where the user's own IQ would go (host
// handlers, XEP-0355 delegation, other accounts, components); its answer comes back to
// the bare JID, is matched with the pending table and returned wrapped in
// <privilege><forwarded/></privilege> with the outer id (§4.4.2).
//
// The encapsulated IQ leaves with an id of ours (random, unguessable), the entity's own id
// being restored in the wrapped answer; only an answer from exactly the JID it was sent to
// (for a bare JID: from that bare JID) counts. Two entities using the same id for the same
// user therefore never see each other's answers, and nobody else can supply one.
//
// Timeout (not specified by the XEP): after privilegedIqTimeoutMs(config) without an answer
// the entity gets an unwrapped <iq type='error'> from the user's bare JID with the outer id
// and <remote-server-timeout/> (type wait). It outlasts the XEP-0355 timeout, so that a
// delegated inner IQ gets the delegation's own answer (or its service-unavailable) first.
//
// References: XEP-0356 v0.4.1 §4.4 (#25–#31 of shared/xep0356.md), XEP-0297, RFC 6120 §8.2.3, §8.3.3.
import type { GatewayConfig } from "../config";
import type { Account } from "../im/account";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, isResponse, xml } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { parseJid, domainOf } from "../jid/jid";
import { route } from "../pipeline/route";
import { checkPrivilegedIq, entityOf, isPrivilegedIq, wrappedIqAnswer } from "./rules";
import { addPending, dropPending, findPending, nextDeadline, takeExpired } from "./store";
import { audit } from "./audit";

/** The least time a privileged IQ waits for its answer. */
export const PRIVILEGED_IQ_TIMEOUT_MS = 15_000;
/** How much longer than a delegated request (XEP-0355) a privileged IQ waits. */
export const DELEGATION_MARGIN_MS = 5_000;

/** How long a privileged IQ waits: 15 s, or the delegation timeout plus a margin when longer. */
export function privilegedIqTimeoutMs(config: GatewayConfig): number {
  return Math.max(PRIVILEGED_IQ_TIMEOUT_MS, config.delegationTimeoutMs + DELEGATION_MARGIN_MS);
}

/**
 * A privileged IQ addressed to this account (bare or full JID). Returns null when `iq` is
 * not one (the account handles it as usual), else the replies for the entity.
 */
export async function handlePrivilegedIq(account: Account, iq: Element, resource: string, exists: boolean): Promise<string[] | null> {
  const type = iq.attrs.type;
  if (!isPrivilegedIq(iq) || (type !== "get" && type !== "set")) return null;
  const { services, config } = account;
  const entityJid = iq.attrs.from ?? "";
  const entity = entityOf(config, entityJid);
  const refuse = async (condition: "forbidden" | "bad-request", text: string, ns = "") => {
    await audit(services, { entity, access: "iq", action: ns ? `${type} ${ns}` : type, user: account.bare, outcome: condition, detail: text });
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
  await audit(services, { entity, access: "iq", action, user: account.bare, outcome: "ok", detail: inner.attrs.to ?? account.bare });

  const outerId = iq.attrs.id ?? "";
  if (inner.attrs.to === undefined) inner.attrs.to = account.bare;
  const peer = inner.attrs.to;
  const sentId = `priv-${crypto.randomUUID()}`;
  inner.attrs.id = sentId;
  addPending(account.sql, { id: sentId, innerId, peer, entity, entityJid, outerId, expires: Date.now() + privilegedIqTimeoutMs(config) });
  schedule(account);

  // The way the user's own client's IQ would go (delegation, host handlers, accounts, routing).
  const replies = await account.send(inner);
  // An answer that came back at once (the account's own handlers, a host, an error) is
  // wrapped now; otherwise the answer arrives later at the bare JID (privilegedIqAnswer).
  const answer = replies.map((r) => parseOrNull(r)).find((r): r is Element => !!r && r.name === "iq" && isResponse(r) && r.attrs.id === sentId);
  if (!answer || !dropPending(account.sql, sentId)) return [];
  answer.attrs.id = innerId;
  return [wrappedIqAnswer(answer, account.bare, entityJid, outerId).toString()];
}

function parseOrNull(s: string): Element | null {
  try {
    return parseTrusted(s);
  } catch {
    return null;
  }
}

/**
 * An IQ result/error addressed to the account's bare JID: the answer to a privileged IQ?
 * Then it goes to the entity, wrapped, with the entity's own inner id; otherwise (unknown
 * id, or not from the JID the IQ went to) it is dropped as before. Returns [].
 */
export async function privilegedIqAnswer(account: Account, iq: Element): Promise<string[]> {
  expire(account);
  const id = iq.attrs.id;
  if (id === undefined) return [];
  const pending = findPending(account.sql, id);
  if (!pending) return [];
  const from = iq.attrs.from ? parseJid(iq.attrs.from)?.full : account.bare;
  if (from !== pending.peer) return []; // not the peer's answer: keep waiting
  if (!dropPending(account.sql, id)) return [];
  const answer = xml("iq", { ...iq.attrs, id: pending.innerId }, ...iq.children);
  const wrapped = wrappedIqAnswer(answer, account.bare, pending.entityJid, pending.outerId);
  await route(account.services, { kind: "server" }, wrapped);
  return [];
}

/** Answers the entities whose privileged IQs waited too long (the account's alarm). */
export async function privilegedIqTimeouts(account: Account): Promise<void> {
  const expired = takeExpired(account.sql, Date.now());
  await Promise.all(expired.map(async (p) => {
    await audit(account.services, { entity: p.entity, access: "iq", action: "answer", user: account.bare, outcome: "timeout", detail: p.peer });
    const outer = xml("iq", { xmlns: NS.client, type: "get", from: p.entityJid, to: account.bare, id: p.outerId });
    const err = errorReply(outer, "remote-server-timeout", `no answer from ${p.peer}`, account.bare);
    await route(account.services, { kind: "server" }, err);
  }));
  schedule(account);
}

function expire(account: Account): void {
  const next = nextDeadline(account.sql);
  if (next !== null && next <= Date.now()) account.services.waitUntil(privilegedIqTimeouts(account));
}

function schedule(account: Account): void {
  const next = nextDeadline(account.sql);
  if (next !== null) account.scheduleAlarm(next);
}
