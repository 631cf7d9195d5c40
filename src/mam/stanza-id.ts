// XEP-0359 Unique and Stable Stanza IDs: the archive id announced in the message.
import { type Element, xml } from "../xml/stanza";
import { NS } from "../xml/namespaces";

/**
 * Removes every <stanza-id/> whose 'by' is `by` (§5 Security Considerations: an entity
 * MUST remove any stanza-id claiming to be from itself before it adds its own, or a sender
 * could forge archive ids). Others' stanza-ids stay. Changes `message` in place.
 */
export function stripStanzaIds(message: Element, by: string): Element {
  message.children = message.children.filter((c) =>
    typeof c === "string" || !(c.getName() === "stanza-id" && c.getNS() === NS.stanzaId && c.attrs.by === by));
  return message;
}

/** Adds <stanza-id xmlns='urn:xmpp:sid:0' by=... id=.../> after removing any forged one. */
export function stampStanzaId(message: Element, by: string, id: string): Element {
  stripStanzaIds(message, by);
  message.cnode(xml("stanza-id", { xmlns: NS.stanzaId, by, id }));
  return message;
}
