// XEP-0198 v1.6 namespace, and what counts as a stanza for its counters.
import type { Element } from "../xml/stanza";
import { NS } from "../xml/namespaces";

export const NS_SM = "urn:xmpp:sm:3";

/**
 * XEP-0198 §4: only stanzas (RFC 6120 §8: message, presence, iq in the stream's
 * content namespace) are counted; nonzas (SM's own elements, CSI, stream-level
 * elements) are not. An element with no xmlns inherits jabber:client on a client stream.
 */
export function isCountedStanza(el: Element): boolean {
  if (el.name !== "message" && el.name !== "presence" && el.name !== "iq") return false;
  const ns = el.attrs.xmlns;
  return ns === undefined || ns === NS.client;
}

/** Whether an element is one of XEP-0198's own (enable, r, a, resume, ...). */
export function isSmElement(el: Element): boolean {
  return el.attrs.xmlns === NS_SM;
}
