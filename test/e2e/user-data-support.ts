// Helpers for the per-user features' end-to-end tests (carbons, MAM, blocking,
// vcard-temp, private storage): fresh users, carbons, archive queries, subscriptions.
import { afterEach } from "vitest";
import { ADMIN_TOKEN } from "./support/config";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { nextId, online } from "./support/im";
import { RawXmpp, type Element } from "./support/raw-client";

export const NS_CARBONS = "urn:xmpp:carbons:2";
export const NS_FORWARD = "urn:xmpp:forward:0";
export const NS_MAM = "urn:xmpp:mam:2";
export const NS_SID = "urn:xmpp:sid:0";
export const NS_RSM = "http://jabber.org/protocol/rsm";
export const NS_BLOCKING = "urn:xmpp:blocking";
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";

export type Client = RawXmpp & { jid: string };

const open: RawXmpp[] = [];
/** Closes every client a test opened through these helpers. */
export function closeAfterEach(): void {
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
}

export async function newUser(prefix: string, domain = "localhost"): Promise<{ name: string; bare: string }> {
  const name = uniqueName(prefix);
  await createUser(`${name}@${domain}`);
  return { name, bare: `${name}@${domain}` };
}

export async function deleteUser(bare: string): Promise<void> {
  const res = await fetch(`${gatewayUrl()}/admin/users/${encodeURIComponent(bare)}`, { method: "DELETE", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.status !== 204 && res.status !== 200) throw new Error(`DELETE ${bare} → ${res.status}`);
}

/** Logged in with initial presence (options as im.ts's online). */
export async function on(name: string, resource: string, opts: { domain?: string; priority?: number } = {}): Promise<Client> {
  const c = await online(gatewayUrl(), name, resource, opts);
  open.push(c);
  return c;
}

export function track<T extends RawXmpp>(c: T): T {
  open.push(c);
  return c;
}

/** An IQ and its answer. */
export async function iq(c: RawXmpp, type: "get" | "set", payload: string, to?: string): Promise<Element> {
  const id = nextId("iq");
  return c.iq(`<iq xmlns='jabber:client' type='${type}' id='${id}'${to ? ` to='${to}'` : ""}>${payload}</iq>`, id);
}

export async function enableCarbons(c: RawXmpp): Promise<void> {
  const r = await iq(c, "set", `<enable xmlns='${NS_CARBONS}'/>`);
  if (r.attrs.type !== "result") throw new Error(`carbons enable: ${r.toString()}`);
}

export const chat = (to: string, body: string, extra = "", id = nextId("m")) =>
  `<message xmlns='jabber:client' type='chat' to='${to}' id='${id}'><body>${body}</body>${extra}</message>`;

/** A carbon copy (<sent/> or <received/>) and the message it carries. */
export const isCarbon = (kind: "sent" | "received") => (el: Element) => el.getName() === "message" && el.getChild(kind, NS_CARBONS) !== undefined;
export function carbonInner(el: Element, kind: "sent" | "received"): Element {
  return el.getChild(kind, NS_CARBONS)!.getChild("forwarded", NS_FORWARD)!.getChild("message")!;
}
export const isChat = (body?: string) => (el: Element) =>
  el.getName() === "message" && el.getChild("body") !== undefined && (body === undefined || el.getChildText("body") === body);

export function stanzaIdBy(msg: Element, by: string): string | undefined {
  return msg.getChildren("stanza-id", NS_SID).find((s) => s.attrs.by === by)?.attrs.id;
}

/** A MAM query: the result messages (in arrival order) and the final IQ. */
export async function mamQuery(c: RawXmpp, fields: Record<string, string | string[]> = {}, rsm = "", extra: { to?: string; node?: string } = {}): Promise<{ results: Element[]; fin: Element; iq: Element }> {
  const qid = nextId("q");
  const id = nextId("mam");
  const formFields = Object.entries(fields).map(([k, v]) => `<field var='${k}'>${(Array.isArray(v) ? v : [v]).map((x) => `<value>${x}</value>`).join("")}</field>`).join("");
  const form = formFields ? `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${NS_MAM}</value></field>${formFields}</x>` : "";
  const set = rsm ? `<set xmlns='${NS_RSM}'>${rsm}</set>` : "";
  c.send(`<iq xmlns='jabber:client' type='set' id='${id}'${extra.to ? ` to='${extra.to}'` : ""}><query xmlns='${NS_MAM}' queryid='${qid}'${extra.node ? ` node='${extra.node}'` : ""}>${form}${set}</query></iq>`);
  const results: Element[] = [];
  for (;;) {
    const el = await c.next((e) => (e.getName() === "iq" && e.attrs.id === id) || e.getChild("result", NS_MAM)?.attrs.queryid === qid);
    if (el.getName() === "iq") return { results, fin: el.getChild("fin", NS_MAM)!, iq: el };
    results.push(el);
  }
}

/** The archived message inside a MAM result, and its archive id. */
export function resultOf(el: Element): { id: string; message: Element; stamp: string | undefined } {
  const r = el.getChild("result", NS_MAM)!;
  const fwd = r.getChild("forwarded", NS_FORWARD)!;
  return { id: r.attrs.id, message: fwd.getChild("message")!, stamp: fwd.getChild("delay", "urn:xmpp:delay")?.attrs.stamp };
}

/** Mutual presence subscription between two online users (RFC 6121 §3). */
export async function befriend(a: Client, aBare: string, b: Client, bBare: string): Promise<void> {
  for (const [x, y, yBare, xBare] of [[a, b, bBare, aBare], [b, a, aBare, bBare]] as const) {
    x.send(`<presence xmlns='jabber:client' type='subscribe' to='${yBare}'/>`);
    await y.next((el) => el.getName() === "presence" && el.attrs.type === "subscribe" && el.attrs.from === xBare);
    y.send(`<presence xmlns='jabber:client' type='subscribed' to='${xBare}'/>`);
    // The subscriber gets the contact's current presence once approved.
    await x.next((el) => el.getName() === "presence" && el.attrs.from === y.jid && el.attrs.type === undefined);
  }
}
