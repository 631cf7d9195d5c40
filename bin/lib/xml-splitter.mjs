// Incremental splitter for a classic XMPP TCP stream: text in, one event per
// top-level element out. The stream root (<stream:stream ...>) is reported by
// its name and attributes, each of its children as a complete ltx Element, and
// the closing </stream:stream> as the end of the stream.
//
// Why not ltx's SAX tokenizer: it loses its place when a chunk ends inside
// "<?" or "<!--" (it looks back at characters of the previous chunk), and TCP
// may split anywhere. So this scanner only finds token boundaries and counts
// depth (quotes, comments, CDATA and processing instructions are honoured), and
// each complete top-level element is handed to ltx.parse in one piece.
//
// References: RFC 6120 §4.2-4.4 (stream open and close), §4.6.1 (whitespace
// keep-alives), §11.1 (restrictions: no DTD), XEP-0114 §3 (the component stream).
import { parse } from "ltx";

/** Default bound on the characters buffered for one top-level element (a memory guard). */
export const DEFAULT_MAX_ELEMENT_CHARS = 8 * 1024 * 1024;

/** Tokens that end with a fixed terminator, and what they are. */
const SPECIAL = [
  { open: "<!--", close: "-->", kind: "comment" },
  { open: "<![CDATA[", close: "]]>", kind: "cdata" },
  { open: "<?", close: "?>", kind: "pi" },
];

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
    this.buf = "";
    this.pos = 0; // everything before pos has been scanned
    /** @type {{ start: number, i: number, quote: string | null } | null} a '<' token in progress */
    this.tag = null;
    /** @type {string[]} names of the open elements, the stream root first */
    this.stack = [];
    this.elementStart = -1; // where the current top-level element begins in buf
  }

  /** Feeds a chunk of the stream (already decoded from UTF-8). */
  write(chunk) {
    if (this.failed || this.ended) return;
    this.buf += chunk;
    try {
      this.scan();
    } catch (e) {
      // ltx.parse throws on bad entities, illegal characters and broken elements.
      return this.fail("not-well-formed", e instanceof Error ? e.message : String(e));
    }
    if (this.failed || this.ended) return;
    this.compact();
    if (this.buf.length > this.maxElementChars) this.fail("policy-violation", `element larger than ${this.maxElementChars} characters`);
  }

  /** @private */
  fail(condition, text) {
    if (this.failed) return;
    this.failed = true;
    this.handlers.error(condition, text);
  }

  /** @private */
  scan() {
    while (!this.failed && !this.ended) {
      const buf = this.buf;
      if (!this.tag) {
        const lt = buf.indexOf("<", this.pos);
        const end = lt === -1 ? buf.length : lt;
        if (end > this.pos && this.stack.length < 2 && buf.slice(this.pos, end).trim() !== "") {
          return this.fail("not-well-formed", "text outside a stanza");
        }
        this.pos = end;
        if (lt === -1) return;
        this.tag = { start: lt, i: lt + 1, quote: null };
      }
      const t = this.tag;
      const head = buf.slice(t.start, t.start + 9);
      const special = SPECIAL.find((s) => head.startsWith(s.open));
      if (!special && SPECIAL.some((s) => s.open.startsWith(head))) return; // too short to tell yet
      if (special) {
        const close = buf.indexOf(special.close, Math.max(t.i, t.start + special.open.length));
        if (close === -1) {
          t.i = Math.max(t.start + special.open.length, buf.length - special.close.length + 1);
          return;
        }
        if (special.kind === "cdata" && this.stack.length < 2 && buf.slice(t.start + 9, close).trim() !== "") {
          return this.fail("not-well-formed", "text outside a stanza");
        }
        this.pos = close + special.close.length;
        this.tag = null;
        continue;
      }
      if (head.startsWith("<!")) return this.fail("restricted-xml", "DTDs are not allowed in XMPP");
      let end = -1;
      for (let i = t.i; i < buf.length; i++) {
        const c = buf[i];
        if (t.quote) {
          if (c === t.quote) t.quote = null;
        } else if (c === '"' || c === "'") {
          t.quote = c;
        } else if (c === ">") {
          end = i + 1;
          break;
        }
      }
      if (end === -1) {
        t.i = buf.length;
        return;
      }
      this.tag = null;
      this.pos = end;
      this.onTag(buf.slice(t.start, end), t.start, end);
    }
  }

  /** @private A complete start or end tag at [start, end) of the buffer. */
  onTag(text, start, end) {
    if (text.startsWith("</")) {
      const name = text.slice(2, -1).trim();
      const open = this.stack.pop();
      if (open === undefined) return this.fail("not-well-formed", `end tag </${name}> without a start tag`);
      if (open !== name) return this.fail("not-well-formed", `</${name}> closes <${open}>`);
      if (this.stack.length === 1) return this.emit(end);
      if (this.stack.length === 0) {
        this.ended = true;
        this.handlers.streamEnd();
      }
      return;
    }
    const name = /^<([^\s/>]+)/.exec(text)?.[1];
    if (!name) return this.fail("not-well-formed", "a tag without a name");
    const selfClosing = text.endsWith("/>");
    const depth = this.stack.length;
    if (depth === 0) {
      const header = parse(selfClosing ? text : `${text.slice(0, -1)}/>`);
      this.handlers.streamStart(name, { ...header.attrs });
      if (selfClosing) {
        this.ended = true;
        this.handlers.streamEnd();
      } else {
        this.stack.push(name);
      }
      return;
    }
    if (depth === 1) this.elementStart = start;
    if (!selfClosing) this.stack.push(name);
    else if (depth === 1) this.emit(end);
  }

  /** @private The top-level element that began at elementStart ends at `end`. */
  emit(end) {
    const el = parse(this.buf.slice(this.elementStart, end));
    this.elementStart = -1;
    this.handlers.element(el);
  }

  /** @private Drops what no longer matters from the front of the buffer. */
  compact() {
    const cut = this.stack.length >= 2 ? this.elementStart : this.tag ? this.tag.start : this.pos;
    if (cut <= 0) return;
    this.buf = this.buf.slice(cut);
    this.pos -= cut;
    if (this.tag) {
      this.tag.start -= cut;
      this.tag.i -= cut;
    }
    if (this.elementStart >= 0) this.elementStart -= cut;
  }
}
