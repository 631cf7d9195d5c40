// One WebSocket text message → one XML element (RFC 7395 §3.3.3: each message is
// exactly one complete, well-formed top-level element), held to XML 1.0, Namespaces
// in XML and RFC 6120 §11 by parseStrict, and handed on in normalised form (local
// names, resolved namespaces in `xmlns`: see strict-parse.ts).
import { Element, parse } from "ltx";
import { parseStrict } from "./strict-parse";

export type FrameError = "not-well-formed" | "restricted-xml" | "policy-violation" | "unsupported-encoding";
export type FrameResult = { ok: true; element: Element } | { ok: false; condition: FrameError; text: string };

/** How deep elements may nest in a frame; real stanzas stay well under 20. */
export const MAX_FRAME_DEPTH = 64;

const NON_ASCII = /[^\x00-\x7f]/;

/** Size of a string in UTF-8 bytes, without encoding it (ASCII, the usual case, is one scan). */
export function utf8Length(s: string): number {
  if (!NON_ASCII.test(s)) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 3 above; a surrogate pair is 4 (2 for each half).
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

export function parseFrame(frame: string, maxBytes: number): FrameResult {
  // A frame can't be shorter in bytes than in UTF-16 units, nor 3x longer.
  if (frame.length > maxBytes || (frame.length * 3 > maxBytes && utf8Length(frame) > maxBytes)) {
    return { ok: false, condition: "policy-violation", text: `stanza larger than ${maxBytes} bytes` };
  }
  return parseStrict(frame, MAX_FRAME_DEPTH);
}

/**
 * Parses a stanza another object handed over (our own code produced it, from a frame
 * that already passed parseFrame). A failure is a bug, so it throws.
 */
export function parseTrusted(s: string): Element {
  // Our own serialisation of a normalised tree: ltx's plain parser is enough (no
  // restricted-XML checks, no size count), and cheaper on the stanza path.
  return parse(s);
}
