// XEP-0297 Stanza Forwarding: the wrapper carbons and archive results put around a message.
// The copied message gets an explicit xmlns='jabber:client' so that it keeps its own
// namespace inside <forwarded/> whatever stream it arrived on (XEP-0297 §3).
import { Element, xml } from "./stanza";
import { NS } from "./namespaces";

/** A deep copy of `message` tagged jabber:client, safe to embed in another stanza. */
export function clientCopy(message: Element): Element {
  const copy = deepCopy(message);
  copy.attrs.xmlns = NS.client;
  return copy;
}

/** A deep copy with its own attribute objects, so the copy can be changed freely. */
export function deepCopy(el: Element): Element {
  const copy = new Element(el.name, { ...el.attrs });
  for (const child of el.children) copy.cnode(typeof child === "string" ? child : deepCopy(child));
  return copy;
}

/** <forwarded xmlns='urn:xmpp:forward:0'>[<delay stamp/>]message</forwarded> */
export function forwarded(message: Element, stamp?: string): Element {
  const el = xml("forwarded", { xmlns: NS.forward });
  if (stamp !== undefined) el.cnode(xml("delay", { xmlns: NS.delay, stamp }));
  el.cnode(clientCopy(message));
  return el;
}

/** Does `el` have a direct child in namespace `ns` (with one of `names`, when given)? */
export function hasChild(el: Element, ns: string, names?: readonly string[]): boolean {
  return el.getChildElements().some((c) => c.getNS() === ns && (names === undefined || names.includes(c.getName())));
}

/** Is this message a carbon copy or an archive result, i.e. a wrapper around another message? */
export function isForwardedCopy(message: Element): boolean {
  return hasChild(message, NS.carbons, ["sent", "received"]) || hasChild(message, NS.mam, ["result"]);
}
