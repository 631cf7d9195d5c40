// Incremental splitter for a classic XMPP TCP stream: text in, one event per
// top-level element out. The stream root (<stream:stream ...>) is reported by
// its name and attributes, each of its children as a complete, normalised ltx
// Element (see strict-xml.mjs: local names, resolved namespaces; an element in the
// stream's default namespace carries no xmlns), and </stream:stream> as the end.
//
// The XML is held to the gateway's rules (strict-xml.mjs: XML 1.0, Namespaces in
// XML, RFC 6120 §11): anything the gateway would refuse ends the stream with the
// same condition, nothing is silently repaired or skipped. saxes is a streaming
// parser, so TCP may split the text anywhere.
//
// References: RFC 6120 §4.2-4.4 (stream open and close), §4.6.1 (whitespace
// keep-alives), §11 (XML restrictions), XEP-0114 §3 (the component stream).
import { StrictXmlStream, XmlRefusal } from "./strict-xml.mjs";

/** Default bound on the characters of one top-level element (a memory guard). */
export const DEFAULT_MAX_ELEMENT_CHARS = 8 * 1024 * 1024;

export class StreamSplitter {
  /**
   * @param {object} handlers
   * @param {(name: string, attrs: Record<string, string>) => void} handlers.streamStart
   * @param {(el: import("ltx").Element) => void} handlers.element
   * @param {() => void} handlers.streamEnd
   * @param {(condition: string, text: string) => void} handlers.error
   * @param {{ maxElementChars?: number }} [options]
   */
  constructor(handlers, options = {}) {
    this.handlers = handlers;
    this.maxElementChars = options.maxElementChars ?? DEFAULT_MAX_ELEMENT_CHARS;
    this.failed = false;
    this.ended = false;
    this.elementStart = -1; // character offset where the current top-level element began
    this.stream = new StrictXmlStream({
      emitDepth: 1,
      onRoot: (tag) => {
        /** @type {Record<string, string>} */
        const attrs = {};
        for (const [name, a] of Object.entries(tag.attributes)) attrs[name] = a.value;
        this.handlers.streamStart(tag.name, attrs);
      },
      onElementStart: (start) => (this.elementStart = start),
      onElement: (el) => {
        const size = this.stream.position - this.elementStart;
        this.elementStart = -1;
        if (size > this.maxElementChars) throw new XmlRefusal("policy-violation", `element larger than ${this.maxElementChars} characters`);
        if (!this.failed && !this.ended) this.handlers.element(el);
      },
      onRootEnd: () => {
        this.ended = true;
        this.handlers.streamEnd();
      },
    });
  }

  /** Characters of the stream read so far. */
  get position() {
    return this.stream.charsFed;
  }

  /** Characters parsed so far (during element(): up to the element's end). */
  get parsed() {
    return this.stream.position;
  }

  /** Feeds a chunk of the stream (already decoded from UTF-8). */
  write(chunk) {
    if (this.failed || this.ended) return;
    try {
      this.stream.write(chunk);
    } catch (e) {
      if (this.ended) return; // anything after </stream:stream> is not our business
      if (e instanceof XmlRefusal) return this.fail(e.condition, e.message);
      return this.fail("not-well-formed", e instanceof Error ? e.message.replace(/^\d+:\d+: /, "") : String(e));
    }
    if (this.failed || this.ended) return;
    if (this.elementStart >= 0 && this.stream.charsFed - this.elementStart > this.maxElementChars) {
      this.fail("policy-violation", `element larger than ${this.maxElementChars} characters`);
    }
  }

  /** @private */
  fail(condition, text) {
    if (this.failed) return;
    this.failed = true;
    this.handlers.error(condition, text);
  }
}
