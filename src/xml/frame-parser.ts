// One WebSocket text message → one XML element (RFC 7395 §3.3.3: each message is
// exactly one complete, well-formed top-level element).
//
// ltx's Parser is lenient in ways XMPP is not: it skips trailing content, skips
// comments and processing instructions and ignores mismatched end tags. RFC 6120
// §11.1 forbids comments, PIs, DTDs and non-predefined entities, so this wrapper
// tracks the element stack itself and refuses all of that.
import { Element, Parser, parse } from "ltx";
import type { EventEmitter } from "node:events";

export type FrameError = "not-well-formed" | "restricted-xml" | "policy-violation";
export type FrameResult = { ok: true; element: Element } | { ok: false; condition: FrameError; text: string };

const encoder = new TextEncoder();

/** Size of a string in UTF-8 bytes, computed only when the cheap bound is not enough. */
export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

export function parseFrame(frame: string, maxBytes: number): FrameResult {
  // A frame can't be shorter in bytes than in UTF-16 units, nor 3x longer.
  if (frame.length > maxBytes || (frame.length * 3 > maxBytes && utf8Length(frame) > maxBytes)) {
    return { ok: false, condition: "policy-violation", text: `stanza larger than ${maxBytes} bytes` };
  }
  let text = frame.trim();
  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>");
    if (end < 0) return { ok: false, condition: "not-well-formed", text: "unterminated XML declaration" };
    text = text.slice(end + 2).trimStart();
  }
  // The SAX parser only reports text when the next '<' arrives: trailing text is checked here.
  if (!text.endsWith(">")) return { ok: false, condition: "not-well-formed", text: "text outside the top-level element" };
  if (text.includes("<?")) return { ok: false, condition: "restricted-xml", text: "processing instructions are not allowed" };
  if (/<!(?!\[CDATA\[)/.test(text)) {
    return { ok: false, condition: "restricted-xml", text: "comments and DTDs are not allowed" };
  }

  const parser = new Parser();
  const sax = (parser as unknown as { parser: EventEmitter }).parser;
  const stack: string[] = [];
  let roots = 0;
  let problem: string | null = null;
  sax.on("startElement", (name: string) => {
    if (stack.length === 0 && ++roots > 1) problem ??= "more than one top-level element in a frame";
    stack.push(name);
  });
  sax.on("endElement", (name: string) => {
    if (stack.pop() !== name) problem ??= `mismatched end tag </${name}>`;
  });
  sax.on("text", (t: string) => {
    if (stack.length === 0 && t.trim() !== "") problem ??= "text outside the top-level element";
  });
  let tree: Element | null = null;
  let error: Error | null = null;
  parser.on("tree", (t: Element) => (tree = t));
  parser.on("error", (e: Error) => (error = e));
  try {
    parser.write(text);
    parser.end("");
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  if (problem) return { ok: false, condition: "not-well-formed", text: problem };
  if (error || !tree || stack.length > 0) {
    return { ok: false, condition: "not-well-formed", text: error ? (error as Error).message : "incomplete element" };
  }
  return { ok: true, element: tree };
}

/**
 * Parses a stanza another object handed over (our own code produced it, from a frame
 * that already passed parseFrame). A failure is a bug, so it throws.
 */
export function parseTrusted(s: string): Element {
  // Our own serialisation of an element that passed parseFrame: ltx's plain parser is
  // enough (no restricted-XML checks, no size count), and cheaper on the stanza path.
  return parse(s);
}
