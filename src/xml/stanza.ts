// Building stanzas and errors. Every stanza that crosses an object boundary travels
// as a string with its own xmlns, so any object can parse it standalone.
// References: RFC 6120 §4.9 (stream errors), §8.3 (stanza errors), RFC 7395 §3.6.
import { Element, createElement as xml } from "ltx";
import { NS } from "./namespaces";

export { xml, Element };

export type StanzaErrorCondition =
  | "bad-request" | "conflict" | "feature-not-implemented" | "forbidden" | "gone"
  | "internal-server-error" | "item-not-found" | "jid-malformed" | "not-acceptable"
  | "not-allowed" | "not-authorized" | "policy-violation" | "recipient-unavailable"
  | "redirect" | "registration-required" | "remote-server-not-found" | "remote-server-timeout"
  | "resource-constraint" | "service-unavailable" | "subscription-required"
  | "undefined-condition" | "unexpected-request";

export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** The error type RFC 6120 §8.3.3 gives each condition. */
export const DEFAULT_ERROR_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  "bad-request": "modify", conflict: "cancel", "feature-not-implemented": "cancel",
  forbidden: "auth", gone: "cancel", "internal-server-error": "cancel", "item-not-found": "cancel",
  "jid-malformed": "modify", "not-acceptable": "modify", "not-allowed": "cancel",
  "not-authorized": "auth", "policy-violation": "modify", "recipient-unavailable": "wait",
  redirect: "modify", "registration-required": "auth", "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait", "resource-constraint": "wait", "service-unavailable": "cancel",
  "subscription-required": "auth", "undefined-condition": "cancel", "unexpected-request": "wait",
};

export type StreamErrorCondition =
  | "bad-format" | "bad-namespace-prefix" | "conflict" | "connection-timeout" | "host-gone"
  | "host-unknown" | "improper-addressing" | "internal-server-error" | "invalid-from"
  | "invalid-namespace" | "invalid-xml" | "not-authorized" | "not-well-formed"
  | "policy-violation" | "remote-connection-failed" | "reset" | "resource-constraint"
  | "restricted-xml" | "see-other-host" | "system-shutdown" | "undefined-condition"
  | "unsupported-encoding" | "unsupported-feature" | "unsupported-stanza-type"
  | "unsupported-version";

export function streamError(condition: StreamErrorCondition, text?: string): Element {
  const el = xml("stream:error", { "xmlns:stream": NS.streams }, xml(condition, { xmlns: NS.streamErrors }));
  if (text) el.c("text", { xmlns: NS.streamErrors }).t(text);
  return el;
}

export function errorElement(condition: StanzaErrorCondition, text?: string, type = DEFAULT_ERROR_TYPE[condition], by?: string): Element {
  const el = xml("error", by ? { type, by } : { type }, xml(condition, { xmlns: NS.stanzaErrors }));
  if (text) el.c("text", { xmlns: NS.stanzaErrors, "xml:lang": "en" }).t(text);
  return el;
}

/**
 * The error reply to a stanza (RFC 6120 §8.3.1): addresses swapped, same id and
 * name, type 'error'. `from` is the replying entity: by default the original `to`.
 */
export function errorReply(stanza: Element, condition: StanzaErrorCondition, text?: string, from?: string, type?: StanzaErrorType): Element {
  const attrs: Record<string, string> = { xmlns: stanza.attrs.xmlns ?? NS.client, type: "error" };
  const replyFrom = from ?? stanza.attrs.to;
  if (replyFrom) attrs.from = replyFrom;
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  if (stanza.attrs.id !== undefined) attrs.id = stanza.attrs.id;
  return xml(stanza.name, attrs, errorElement(condition, text, type));
}

/** An IQ result to `iq` (RFC 6120 §8.2.3), optionally with a payload. */
export function iqResult(iq: Element, payload?: Element, from?: string): Element {
  const attrs: Record<string, string> = { xmlns: iq.attrs.xmlns ?? NS.client, type: "result", id: iq.attrs.id };
  const replyFrom = from ?? iq.attrs.to;
  if (replyFrom) attrs.from = replyFrom;
  if (iq.attrs.from) attrs.to = iq.attrs.from;
  return payload ? xml("iq", attrs, payload) : xml("iq", attrs);
}

/** Is this stanza an error or IQ response, which must never be answered with an error? */
export function isResponse(stanza: Element): boolean {
  const t = stanza.attrs.type;
  return t === "error" || (stanza.name === "iq" && t === "result");
}

/** The single payload child of an IQ request, or null when it has none or several. */
export function iqPayload(iq: Element): Element | null {
  const children = iq.getChildElements();
  return children.length === 1 ? children[0]! : null;
}

/** Re-tags a stanza for a given stream namespace (jabber:client or jabber:component:accept). */
export function withNamespace(stanza: Element, ns: string): Element {
  stanza.attrs.xmlns = ns;
  return stanza;
}

/** The stanza's text in namespace `ns`, leaving the element as it was (no copy). */
export function serialiseIn(stanza: Element, ns: string): string {
  const had = Object.prototype.hasOwnProperty.call(stanza.attrs, "xmlns");
  const before = stanza.attrs.xmlns;
  stanza.attrs.xmlns = ns;
  try {
    return stanza.toString();
  } finally {
    if (had) stanza.attrs.xmlns = before;
    else delete stanza.attrs.xmlns;
  }
}

let counter = 0;
/** A short unique id for server-generated stanzas. */
export function newId(prefix = "xe"): string {
  counter = (counter + 1) % 1_000_000;
  return `${prefix}-${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
