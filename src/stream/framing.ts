// RFC 7395 framing elements: <open/> and <close/> in urn:ietf:params:xml:ns:xmpp-framing,
// and stream features in the streams namespace (RFC 7395 §3.3, §3.4, §3.6).
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";

export function openElement(from: string, id: string): Element {
  return xml("open", { xmlns: NS.framing, from, id, version: "1.0", "xml:lang": "en" });
}

export function closeElement(): Element {
  return xml("close", { xmlns: NS.framing });
}

export function features(...children: Element[]): Element {
  return xml("stream:features", { "xmlns:stream": NS.streams }, ...children);
}

export type OpenCheck = { ok: true; to: string } | { ok: false; condition: "invalid-namespace" | "unsupported-version" | "host-unknown" | "not-well-formed" | "improper-addressing" };

/** Validates a client's <open/> (RFC 7395 §3.4, RFC 6120 §4.7). */
export function checkOpen(el: Element): OpenCheck {
  if (el.name === "stream:stream" || (el.name === "open" && el.attrs.xmlns !== NS.framing)) {
    return { ok: false, condition: "invalid-namespace" };
  }
  if (el.name !== "open") return { ok: false, condition: "not-well-formed" };
  if (el.attrs.version !== undefined && el.attrs.version.split(".")[0] !== "1") return { ok: false, condition: "unsupported-version" };
  const to = el.attrs.to;
  if (!to) return { ok: false, condition: "host-unknown" };
  return { ok: true, to: String(to).toLowerCase() };
}

export function isClose(el: Element): boolean {
  return el.name === "close" && el.attrs.xmlns === NS.framing;
}

export function randomStreamId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
