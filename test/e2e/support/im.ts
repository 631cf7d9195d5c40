// Instant-messaging helpers over RawXmpp: roster IQs, presence, predicates.
// References: RFC 6121 §2 (roster), §4 (presence).
import { RawXmpp, type Element, esc } from "./raw-client";

export const NS_ROSTER = "jabber:iq:roster";
export const NS_DELAY = "urn:xmpp:delay";

let seq = 0;
export const nextId = (p = "id") => `${p}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;

/** Logs in, fetches the roster (becoming an "interested resource") and sends initial presence. */
export async function online(
  base: string,
  username: string,
  resource: string,
  opts: { domain?: string; priority?: number; show?: string; roster?: boolean; password?: string } = {},
): Promise<RawXmpp & { jid: string }> {
  const c = await RawXmpp.login(base, { username, resource, domain: opts.domain, password: opts.password });
  if (opts.roster !== false) await rosterGet(c);
  const inner = (opts.show ? `<show>${opts.show}</show>` : "") + (opts.priority !== undefined ? `<priority>${opts.priority}</priority>` : "");
  c.send(`<presence xmlns='jabber:client'>${inner}</presence>`);
  // RFC 6121 §4.2.2: the server echoes initial presence to the user's own resource.
  await c.next((el) => el.getName() === "presence" && el.attrs.from === c.jid && el.attrs.type === undefined);
  return c;
}

/** Roster get; returns the result IQ. */
export async function rosterGet(c: RawXmpp, ver?: string): Promise<Element> {
  const id = nextId("rg");
  const v = ver === undefined ? "" : ` ver='${esc(ver)}'`;
  return c.iq(`<iq xmlns='jabber:client' type='get' id='${id}'><query xmlns='${NS_ROSTER}'${v}/></iq>`, id);
}

/** Roster set of one item (RFC 6121 §2.3); returns the answering IQ. */
export async function rosterSet(c: RawXmpp, jid: string, opts: { name?: string; groups?: string[]; remove?: boolean } = {}): Promise<Element> {
  const id = nextId("rs");
  const attrs = [`jid='${esc(jid)}'`];
  if (opts.name !== undefined) attrs.push(`name='${esc(opts.name)}'`);
  if (opts.remove) attrs.push(`subscription='remove'`);
  const groups = (opts.groups ?? []).map((g) => `<group>${esc(g)}</group>`).join("");
  return c.iq(`<iq xmlns='jabber:client' type='set' id='${id}'><query xmlns='${NS_ROSTER}'><item ${attrs.join(" ")}>${groups}</item></query></iq>`, id);
}

/** A roster push (type set, jabber:iq:roster) whose item is `jid`. */
export const isPush = (jid?: string) => (el: Element) =>
  el.getName() === "iq" &&
  el.attrs.type === "set" &&
  el.getChild("query", NS_ROSTER) !== undefined &&
  (jid === undefined || el.getChild("query", NS_ROSTER)!.getChild("item")?.attrs.jid === jid);

/** The single item of a roster push or the items of a roster result, as plain attributes. */
export function pushItem(push: Element): Record<string, string> {
  return { ...push.getChild("query", NS_ROSTER)!.getChild("item")!.attrs };
}

export function rosterItems(result: Element): Array<Record<string, string> & { groups?: string }> {
  const q = result.getChild("query", NS_ROSTER);
  return (q?.getChildren("item") ?? []).map((i) => {
    const groups = i.getChildren("group").map((g) => g.getText());
    return groups.length ? { ...i.attrs, groups: groups.join(",") } : { ...i.attrs };
  });
}

/** A presence stanza from `from` with the given type (undefined = available). */
export const isPresence = (from: string, type?: string) => (el: Element) =>
  el.getName() === "presence" && el.attrs.from === from && el.attrs.type === type;

export const isMessage = (from?: string) => (el: Element) =>
  el.getName() === "message" && (from === undefined || el.attrs.from === from);

/** Answers a roster push with an empty result, as RFC 6121 §2.1.6 asks clients to. */
export function ackPush(c: RawXmpp, push: Element): void {
  c.send(`<iq xmlns='jabber:client' type='result' id='${esc(push.attrs.id ?? "")}'/>`);
}
