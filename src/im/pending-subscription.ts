// The inbound subscription request an account keeps while it is pending (RFC 6121
// §3.1.3: redelivered on every initial presence until answered). Only what a client
// shows is kept: the addresses, the status text and the XEP-0172 nickname, each
// bounded, so that a stored request is small whatever the sender put in it.
//
// References: RFC 6121 §3.1.3 (pending requests), §4.7.2.2 (status), XEP-0172 §4.1 (nick).
import { type Element, xml } from "../xml/stanza";
import { utf8Length } from "../xml/frame-parser";

/** Pending requests kept per account; more are ignored until some are answered. */
export const MAX_PENDING_SUBSCRIPTIONS = 500;
/** Pending requests kept from one sender key (a component's whole domain counts as one). */
export const MAX_PENDING_PER_SENDER = 20;
/** Bytes of the status text or nickname kept with a request; a longer one is dropped. */
export const MAX_PENDING_TEXT_BYTES = 1024;

const NICK_NS = "http://jabber.org/protocol/nick";
const KEPT_ATTRS = ["xmlns", "from", "to", "type", "id", "xml:lang"] as const;

/** A copy of a subscribe request with only its addresses, a short status and a short nick. */
export function trimSubscriptionRequest(pres: Element): Element {
  const attrs: Record<string, string> = {};
  for (const a of KEPT_ATTRS) if (typeof pres.attrs[a] === "string") attrs[a] = pres.attrs[a];
  const out = xml("presence", attrs);
  const status = pres.getChild("status");
  const statusText = status?.getText() ?? "";
  if (status && statusText !== "" && utf8Length(statusText) <= MAX_PENDING_TEXT_BYTES) out.c("status").t(statusText);
  const nick = pres.getChild("nick", NICK_NS);
  const nickText = nick?.getText() ?? "";
  if (nick && nickText !== "" && utf8Length(nickText) <= MAX_PENDING_TEXT_BYTES) out.c("nick", { xmlns: NICK_NS }).t(nickText);
  return out;
}
