// Strict XML for the bridge, the fuzzer and the tests, with the gateway's rules
// (src/xml/strict-parse.ts; the gateway's copy is TypeScript tuned for workerd):
// XML 1.0 well-formedness and Namespaces in XML as saxes enforces them, plus
// RFC 6120 §11 (no DTD, comment or processing instruction), no lone surrogate
// (saxes misreads a high surrogate without its pair), an XML declaration of
// version 1.0 and encoding UTF-8 only, and a depth bound.
//
// Elements come out NORMALISED: local names, and `xmlns` = the resolved namespace
// wherever it differs from the parent's (or, at the top, from `defaultNs`);
// namespace declarations dropped except for prefixed attributes, which keep their
// prefix declared on the same element; xml:* attributes as they are.
//
// References: XML 1.0 (5th ed.), Namespaces in XML 1.0, RFC 6120 §11.
import { Element } from "ltx";
import { SaxesParser } from "saxes";

/** How deep elements may nest in one stanza, as in the gateway (src/xml/frame-parser.ts). */
export const MAX_DEPTH = 64;

/** A parse stopped with a stream error condition. */
export class XmlRefusal extends Error {
  /** @param {string} condition @param {string} text */
  constructor(condition, text) {
    super(text);
    this.condition = condition;
  }
}

/** The start of an entity reference the rules allow: amp, lt, gt, quot, apos, #N or #xH. */
const PARTIAL_REFERENCE = /^(?:#[0-9]{0,16}|#x[0-9a-fA-F]{0,16}|a|am|amp|ap|apo|apos|l|lt|g|gt|q|qu|quo|quot)$/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The attributes of a normalised element.
 * @param {import("saxes").SaxesTagNS} tag
 * @param {string | undefined} parentNs the namespace to compare with (undefined: none known)
 */
export function normalisedAttrs(tag, parentNs) {
  /** @type {Record<string, string>} */
  const attrs = {};
  if (parentNs === undefined ? tag.uri !== "" : tag.uri !== parentNs) attrs.xmlns = tag.uri;
  for (const name of Object.keys(tag.attributes)) {
    const a = tag.attributes[name];
    if (a.prefix === "") {
      if (name !== "xmlns") attrs[name] = a.value;
    } else if (a.prefix === "xml") {
      attrs[name] = a.value;
    } else if (a.prefix !== "xmlns") {
      attrs[name] = a.value;
      attrs[`xmlns:${a.prefix}`] = a.uri;
    }
  }
  return attrs;
}

/**
 * A strict streaming parser that builds a normalised ltx tree for each element at
 * depth `emitDepth` (0: the document's root, for one-element frames; 1: the children
 * of a stream root, for XMPP streams). Chunks may split the text anywhere.
 */
export class StrictXmlStream {
  /**
   * @param {object} o
   * @param {0 | 1} o.emitDepth
   * @param {number} [o.maxDepth] levels below the emitted element's parent
   * @param {(tag: import("saxes").SaxesTagNS) => void} [o.onRoot] the stream root's start tag (emitDepth 1)
   * @param {(start: number) => void} [o.onElementStart] an emitted element begins (character offset)
   * @param {(el: Element) => void} o.onElement
   * @param {() => void} [o.onRootEnd] the stream root's end tag
   */
  constructor(o) {
    this.o = o;
    this.maxDepth = o.maxDepth ?? MAX_DEPTH;
    /** @type {Array<{ el: Element | null, ns: string }>} */
    this.stack = [];
    this.rootDefaultNs = undefined;
    this.charsFed = 0;
    this.pendingHigh = ""; // a high surrogate at the end of a chunk, waiting for its pair
    const p = new SaxesParser({ xmlns: true, position: true, defaultXMLVersion: "1.0", forceXMLVersion: true });
    this.parser = p;
    p.on("xmldecl", (d) => {
      if (d.version !== "1.0") throw new XmlRefusal("not-well-formed", `XML version ${d.version} is not supported`);
      if (d.encoding !== undefined && d.encoding.toLowerCase() !== "utf-8") throw new XmlRefusal("unsupported-encoding", "only UTF-8 is supported");
    });
    p.on("doctype", () => {
      throw new XmlRefusal("restricted-xml", "DTDs are not allowed in XMPP");
    });
    p.on("comment", () => {
      throw new XmlRefusal("restricted-xml", "comments are not allowed in XMPP");
    });
    p.on("processinginstruction", () => {
      throw new XmlRefusal("restricted-xml", "processing instructions are not allowed in XMPP");
    });
    p.on("opentagstart", (tag) => {
      if (this.stack.length === this.o.emitDepth) this.o.onElementStart?.(Math.max(0, p.position - tag.name.length - 1));
    });
    p.on("opentag", (tag) => this.open(tag));
    p.on("closetag", () => this.close());
    const onText = (t) => {
      const depth = this.stack.length;
      if (depth > this.o.emitDepth) this.stack[depth - 1].el.children.push(t);
      else if (depth === 1 && t.trim() !== "") throw new XmlRefusal("not-well-formed", "text outside a stanza");
    };
    p.on("text", onText);
    p.on("cdata", onText);
  }

  /** The number of characters parsed so far. */
  get position() {
    return this.parser.position;
  }

  /** Feeds a chunk; throws XmlRefusal or saxes' Error on the first problem. */
  write(chunk) {
    let text = this.pendingHigh + chunk;
    this.pendingHigh = "";
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.pendingHigh = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (LONE_SURROGATE.test(text)) throw new XmlRefusal("not-well-formed", "lone surrogate: not an XML character");
    this.charsFed += text.length;
    this.parser.write(text);
    // saxes waits for the ';' of an entity reference however long it takes; in a stream a
    // bare '&' would hold the stanza until the size bound. A reference can only be one of
    // the five predefined names or a character reference, so anything else is refused now.
    const entity = this.parser.entity;
    if (entity && !PARTIAL_REFERENCE.test(entity)) throw new XmlRefusal("not-well-formed", "a bare '&' (or an unknown entity)");
  }

  /** The end of the input: throws if the document is incomplete. */
  end() {
    if (this.pendingHigh) throw new XmlRefusal("not-well-formed", "lone surrogate: not an XML character");
    this.parser.close();
  }

  /** @private */
  open(tag) {
    const stack = this.stack;
    const depth = stack.length;
    if (depth < this.o.emitDepth) {
      // The stream root: reported as is; its default namespace is what stanzas are relative to.
      this.rootDefaultNs = tag.ns[""] ?? "";
      stack.push({ el: null, ns: tag.uri });
      this.o.onRoot?.(tag);
      return;
    }
    if (depth - this.o.emitDepth >= this.maxDepth) throw new XmlRefusal("policy-violation", `elements nested deeper than ${this.maxDepth}`);
    const parent = depth > this.o.emitDepth ? stack[depth - 1] : null;
    const el = new Element(tag.local);
    el.attrs = normalisedAttrs(tag, parent ? parent.ns : this.rootDefaultNs);
    if (parent) {
      el.parent = parent.el;
      parent.el.children.push(el);
    }
    stack.push({ el, ns: tag.uri });
  }

  /** @private */
  close() {
    const top = this.stack.pop();
    if (this.stack.length === this.o.emitDepth) this.o.onElement(top.el);
    else if (this.stack.length === 0 && this.o.emitDepth === 1) this.o.onRootEnd?.();
  }
}

/**
 * One complete element (an RFC 7395 frame, or anything meant to be one), held to the
 * gateway's rules.
 * @param {string} text
 * @param {{ maxBytes?: number, maxDepth?: number }} [options]
 * @returns {{ ok: true, element: Element } | { ok: false, condition: string, text: string }}
 */
export function parseStrictFrame(text, options = {}) {
  if (options.maxBytes !== undefined && Buffer.byteLength(text, "utf8") > options.maxBytes) {
    return { ok: false, condition: "policy-violation", text: `stanza larger than ${options.maxBytes} bytes` };
  }
  /** @type {Element | null} */
  let root = null;
  const stream = new StrictXmlStream({ emitDepth: 0, maxDepth: options.maxDepth, onElement: (el) => (root = el) });
  try {
    stream.write(text);
    stream.end();
  } catch (e) {
    if (e instanceof XmlRefusal) return { ok: false, condition: e.condition, text: e.message };
    return { ok: false, condition: "not-well-formed", text: e instanceof Error ? e.message : String(e) };
  }
  if (!root) return { ok: false, condition: "not-well-formed", text: "no element" };
  return { ok: true, element: root };
}
