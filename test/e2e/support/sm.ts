// XEP-0198 / XEP-0352 helpers over RawXmpp: a login that keeps the post-SASL features,
// enable, resume, and predicates for the SM nonzas.
import { RawXmpp, type Element, NS_STREAMS, wsUrlFor } from "./raw-client";

export const NS_SM = "urn:xmpp:sm:3";
export const NS_CSI = "urn:xmpp:csi:0";

export const isSm = (name: string) => (el: Element) => el.getName() === name && el.attrs.xmlns === NS_SM;

export type SmClient = RawXmpp & { features: Element };

/** Open, SCRAM, restart: the stream waits for bind or <resume/>. */
export async function authenticated(base: string, username: string, password = "pw", domain = "localhost"): Promise<SmClient> {
  const c = await RawXmpp.open(wsUrlFor(base));
  await c.openStream(domain);
  await c.authenticate("SCRAM-SHA-256", username, password);
  const { features } = await c.openStream(domain);
  return Object.assign(c, { features });
}

/** Login, bind `resource`, `<enable resume='true'/>`; returns the client and the session id. */
export async function smLogin(base: string, username: string, resource: string, opts: { presence?: boolean; password?: string; domain?: string } = {}): Promise<{ c: SmClient; jid: string; id: string; enabled: Element }> {
  const c = await authenticated(base, username, opts.password, opts.domain);
  const jid = await c.bind(resource);
  c.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
  const enabled = await c.next(isSm("enabled"));
  if (opts.presence) {
    c.send(`<presence xmlns='jabber:client'/>`);
    await c.next((el) => el.getName() === "presence" && el.attrs.from === jid && el.attrs.type === undefined);
  }
  return { c, jid, id: enabled.attrs.id!, enabled };
}

/** A new connection resuming `previd` with `h`; returns the client and the answer (<resumed/> or <failed/>). */
export async function resume(base: string, username: string, previd: string, h: number, password = "pw", domain = "localhost"): Promise<{ c: SmClient; answer: Element }> {
  const c = await authenticated(base, username, password, domain);
  c.send(`<resume xmlns='${NS_SM}' previd='${previd}' h='${h}'/>`);
  const answer = await c.next((el) => el.attrs.xmlns === NS_SM && (el.getName() === "resumed" || el.getName() === "failed"), 10_000);
  return { c, answer };
}

/** The stanza error condition inside a <failed/> (urn:ietf:params:xml:ns:xmpp-stanzas). */
export function failedCondition(failed: Element): string | undefined {
  return failed.children.find((ch): ch is Element => typeof ch !== "string" && ch.attrs.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas")?.getName();
}

/** A stream error with `condition`. */
export const isStreamError = (condition: string) => (el: Element) =>
  el.getName() === "error" && el.children.some((ch) => typeof ch !== "string" && ch.attrs.xmlns === NS_STREAMS && ch.getName() === condition);

export const chat = (to: string, id: string, body: string) => `<message xmlns='jabber:client' type='chat' to='${to}' id='${id}'><body>${body}</body></message>`;

export const isMessageId = (id: string) => (el: Element) => el.getName() === "message" && el.attrs.id === id;

/** Ids of the message frames a client received, in order (from its raw log). */
export function messageIds(c: RawXmpp): string[] {
  return c.seen.filter((t) => t.startsWith("<message")).map((t) => /\sid=["']([^"']+)["']/.exec(t)?.[1] ?? "");
}
