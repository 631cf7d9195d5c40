// Translation between a classic XEP-0114 TCP stream and the gateway's component
// WebSocket (XEP-0114 over RFC 7395 framing). Pure functions, no sockets.
//
// TCP side: <stream:stream xmlns='jabber:component:accept' ...> with stanzas in
// that default namespace, closed by </stream:stream>.
// WebSocket side: <open/> and <close/> in urn:ietf:params:xml:ns:xmpp-framing,
// then one standalone element per message, each carrying its own namespace.
//
// References: XEP-0114 §3 (handshake, stream header), RFC 7395 §3.3-3.6
// (framing, open, close, stream errors), RFC 6120 §4.7 (stream attributes),
// §4.9 (stream errors).
import { Element, parse, createElement as xml } from "ltx";

export const NS_COMPONENT = "jabber:component:accept";
export const NS_CLIENT = "jabber:client";
export const NS_STREAMS = "http://etherx.jabber.org/streams";
export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
export const NS_STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams";

/**
 * Checks the TCP component's stream header.
 * @param {string} name
 * @param {Record<string, string>} attrs
 * @returns {{ ok: true, to: string } | { ok: false, condition: string, text: string }}
 */
export function checkTcpHeader(name, attrs) {
  const colon = name.indexOf(":");
  const prefix = colon === -1 ? "" : name.slice(0, colon);
  const local = colon === -1 ? name : name.slice(colon + 1);
  const streamNs = prefix ? attrs[`xmlns:${prefix}`] : attrs.xmlns;
  if (local !== "stream" || streamNs !== NS_STREAMS) {
    return { ok: false, condition: "invalid-namespace", text: "expected <stream:stream xmlns:stream='http://etherx.jabber.org/streams'>" };
  }
  if (!prefix || attrs.xmlns !== NS_COMPONENT) {
    return { ok: false, condition: "invalid-namespace", text: `the stream's default namespace must be ${NS_COMPONENT}` };
  }
  const to = attrs.to?.trim();
  if (!to) return { ok: false, condition: "improper-addressing", text: "the stream header needs to='COMPONENT_JID'" };
  return { ok: true, to };
}

/** The RFC 7395 <open/> the bridge sends for a component. */
export function wsOpen(to) {
  return xml("open", { xmlns: NS_FRAMING, to, version: "1.0" }).toString();
}

/** The RFC 7395 <close/>. */
export function wsClose() {
  return xml("close", { xmlns: NS_FRAMING }).toString();
}

/**
 * The stream header the bridge answers the TCP component with, carrying the
 * gateway's stream id so that the component's handshake is computed over it.
 * @param {{ from?: string, id?: string }} attrs
 */
export function tcpHeader({ from, id }) {
  const el = xml("stream:stream", { "xmlns:stream": NS_STREAMS, xmlns: NS_COMPONENT });
  if (from) el.attrs.from = from;
  if (id) el.attrs.id = id;
  // An open tag: everything but the "/>" of the empty element, then ">".
  return `<?xml version='1.0'?>${el.toString().slice(0, -2)}>`;
}

export function tcpFooter() {
  return "</stream:stream>";
}

/** A stream error for the TCP stream (whose root already declares the stream prefix). */
export function tcpStreamError(condition, text) {
  const el = xml("stream:error", {}, xml(condition, { xmlns: NS_STREAM_ERRORS }));
  if (text) el.c("text", { xmlns: NS_STREAM_ERRORS }).t(text);
  return el.toString();
}

/**
 * A top-level element from the TCP stream, made standalone for a WebSocket
 * message: the stream's default namespace (and the declaration of a prefix its
 * name uses, for elements that were not normalised) is written onto it (RFC 7395
 * §3.3.3: every message is a complete element). The splitter's normalised
 * elements need only the default namespace.
 * @param {Element} el
 * @param {Record<string, string>} headerAttrs
 */
export function tcpToWs(el, headerAttrs) {
  /** @type {Record<string, string>} */
  const inherited = {};
  const colon = el.name.indexOf(":");
  const used = colon === -1 ? "xmlns" : `xmlns:${el.name.slice(0, colon)}`;
  if (headerAttrs[used] !== undefined && el.attrs[used] === undefined) inherited[used] = headerAttrs[used];
  el.attrs = { ...inherited, ...el.attrs }; // declarations first, for readable frames
  return el.toString();
}

/** Is this top-level TCP element a stream error (the component giving up)? */
export function isTcpStreamError(el, headerAttrs) {
  if (el.name === "error" && el.attrs.xmlns === NS_STREAMS) return true; // normalised
  const colon = el.name.indexOf(":");
  if (colon === -1 || el.name.slice(colon + 1) !== "error") return false;
  const prefix = el.name.slice(0, colon);
  return (el.attrs[`xmlns:${prefix}`] ?? headerAttrs[`xmlns:${prefix}`]) === NS_STREAMS;
}

/** The condition of a stream error element (its child in the stream errors namespace). */
function streamErrorCondition(el) {
  const child = el.getChildElements().find((c) => c.name !== "text" && (c.attrs.xmlns === NS_STREAM_ERRORS || c.attrs.xmlns === undefined));
  return child ? child.name : "undefined-condition";
}

/**
 * What one WebSocket message from the gateway means for the TCP side.
 * @param {string} frame
 * @returns {{ kind: "open", id: string | undefined, from: string | undefined }
 *   | { kind: "close" }
 *   | { kind: "error", condition: string, xml: string }
 *   | { kind: "handshake", xml: string }
 *   | { kind: "stanza", xml: string }
 *   | { kind: "invalid", text: string }}
 */
export function wsToTcp(frame) {
  let el;
  try {
    el = parse(frame);
  } catch (e) {
    return { kind: "invalid", text: e instanceof Error ? e.message : String(e) };
  }
  const ns = el.getNS();
  if (el.name === "open" && ns === NS_FRAMING) return { kind: "open", id: el.attrs.id, from: el.attrs.from };
  if (el.name === "close" && ns === NS_FRAMING) return { kind: "close" };
  if (el.getName() === "error" && ns === NS_STREAMS) {
    // Inside the TCP stream the root declares the prefix: <stream:error> needs no declaration.
    el.name = "stream:error";
    delete el.attrs.xmlns;
    delete el.attrs["xmlns:stream"];
    return { kind: "error", condition: streamErrorCondition(el), xml: el.toString() };
  }
  // A stanza (or the handshake answer) in the component or client namespace is
  // in the TCP stream's default namespace: the declaration goes.
  if (el.attrs.xmlns === NS_COMPONENT || el.attrs.xmlns === NS_CLIENT) delete el.attrs.xmlns;
  if (el.name === "handshake") return { kind: "handshake", xml: el.toString() };
  return { kind: "stanza", xml: el.toString() };
}
