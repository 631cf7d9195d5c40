// A strict, namespace-aware parse of one complete XML element into a NORMALISED ltx
// tree: XML 1.0 well-formedness and Namespaces in XML (saxes enforces both: names,
// the Char range in text, attributes and character references, quoting, entities,
// declared prefixes, duplicate attributes after prefix resolution, one root) plus
// RFC 6120 §11's restrictions (no DTD, comment or processing instruction) and a
// depth bound. saxes never recurses per level, so depth only costs memory.
//
// Normalised form: every element is named by its LOCAL name, and carries `xmlns`
// set to its resolved namespace whenever that differs from its parent's (the root
// carries it unless it is in no namespace at all, so that the caller can apply its
// stream's default). Namespace declarations are dropped, except that a prefixed
// attribute keeps its prefix with the declaration re-emitted on the same element;
// `xml:*` attributes stay as they are. Code that reads `attrs.xmlns` or calls
// `getChild(name, ns)` therefore sees the namespace every namespace-aware peer sees,
// and serialising the tree with ltx gives XML any strict peer reads the same way.
import { Element } from "ltx";
import { SaxesParser, type SaxesTagNS } from "saxes";

export type StrictError = "not-well-formed" | "restricted-xml" | "policy-violation" | "unsupported-encoding";
export type StrictResult = { ok: true; element: Element } | { ok: false; condition: StrictError; text: string };

/** Thrown from a handler to stop the parse with a given condition. */
class Refusal {
  constructor(readonly condition: StrictError, readonly text: string) {}
}

/** ES2024's String.prototype.isWellFormed (no lone surrogates), present in workerd and Node 20. */
type WellFormedString = string & { isWellFormed(): boolean };

type Open = { el: Element; ns: string };

/**
 * One saxes parser with its handlers, reused from frame to frame: building a parser
 * costs about a third of what parsing a chat message does. Parses are synchronous, so one
 * instance per isolate is never shared by two at once; after a refusal (the parser
 * stops mid-document) it is thrown away.
 */
class TreeBuilder {
  private readonly parser = new SaxesParser({ xmlns: true, position: false, defaultXMLVersion: "1.0", forceXMLVersion: true });
  private stack: Open[] = [];
  private root: Element | null = null;
  private maxDepth = 0;

  constructor() {
    // At most six handlers: saxes adds each as a property, and a seventh turns the
    // parser into a dictionary-mode object in V8, which makes every parse 3-5x slower.
    // So the XML declaration and the DTD are checked from the parser's own record of
    // them (see checkProlog) instead of through handlers.
    const p = this.parser;
    p.on("comment", () => {
      throw new Refusal("restricted-xml", "comments are not allowed");
    });
    p.on("processinginstruction", () => {
      throw new Refusal("restricted-xml", "processing instructions are not allowed");
    });
    p.on("opentag", (tag: SaxesTagNS) => this.open(tag));
    p.on("closetag", () => {
      this.stack.pop();
    });
    const onText = (t: string): void => {
      // Whitespace around the root is allowed; saxes refuses any other text there.
      const top = this.stack[this.stack.length - 1];
      if (top) top.el.children.push(t);
    };
    p.on("text", onText);
    p.on("cdata", onText);
  }

  /** Has the parser met a DOCTYPE? (saxes keeps that flag without typing it as public.) */
  sawDoctype(): boolean {
    return (this.parser as unknown as { doctype: boolean }).doctype;
  }

  /** At the root's start tag, everything before it has been read. */
  private checkProlog(): void {
    if (this.sawDoctype()) throw new Refusal("restricted-xml", "DTDs are not allowed");
    const decl = this.parser.xmlDecl;
    // forceXMLVersion parses as XML 1.0 whatever the declaration says, so refuse
    // anything that asks for other rules (1.1 allows control characters).
    if (decl.version !== undefined && decl.version !== "1.0") {
      throw new Refusal("not-well-formed", `XML version ${decl.version} is not supported`);
    }
    // RFC 6120 §11.6: UTF-8 only.
    if (decl.encoding !== undefined && decl.encoding.toLowerCase() !== "utf-8") {
      throw new Refusal("unsupported-encoding", "only UTF-8 is supported");
    }
  }

  /** The tree of `text`; throws a Refusal or saxes' Error. */
  parse(text: string, maxDepth: number): Element | null {
    this.stack = [];
    this.root = null;
    this.maxDepth = maxDepth;
    this.parser.write(text);
    this.parser.close();
    const root = this.root;
    this.root = null;
    return root;
  }

  private open(tag: SaxesTagNS): void {
    const stack = this.stack;
    if (stack.length >= this.maxDepth) throw new Refusal("policy-violation", `elements nested deeper than ${this.maxDepth}`);
    const parent = stack.length > 0 ? stack[stack.length - 1]! : null;
    if (!parent) this.checkProlog();
    const el = new Element(tag.local);
    el.attrs = normalisedAttrs(tag, parent);
    if (parent) {
      el.parent = parent.el;
      parent.el.children.push(el);
    } else {
      this.root = el;
    }
    stack.push({ el, ns: tag.uri });
  }
}

let builder: TreeBuilder | null = null;

/** Parses `text`, which must be exactly one element (an XML declaration and whitespace aside). */
export function parseStrict(text: string, maxDepth: number): StrictResult {
  // saxes reads a high surrogate as the start of a pair without checking its partner,
  // so a lone surrogate (not an XML Char, and no UTF-8 either) is refused up front.
  if (!(text as WellFormedString).isWellFormed()) {
    return { ok: false, condition: "not-well-formed", text: "lone surrogate: not an XML character" };
  }
  builder ??= new TreeBuilder();
  let root: Element | null;
  try {
    root = builder.parse(text, maxDepth);
  } catch (e) {
    const doctype = builder.sawDoctype();
    builder = null;
    if (e instanceof Refusal) return { ok: false, condition: e.condition, text: e.text };
    // A DTD's entities fail as undefined in the root's attributes, before checkProlog.
    if (doctype) return { ok: false, condition: "restricted-xml", text: "DTDs are not allowed" };
    return { ok: false, condition: "not-well-formed", text: e instanceof Error ? e.message : String(e) };
  }
  if (!root) return { ok: false, condition: "not-well-formed", text: "no element" };
  return { ok: true, element: root };
}

function normalisedAttrs(tag: SaxesTagNS, parent: Open | null): Record<string, string> {
  const attrs: Record<string, string> = {};
  if (parent ? tag.uri !== parent.ns : tag.uri !== "") attrs.xmlns = tag.uri;
  for (const name in tag.attributes) {
    const a = tag.attributes[name]!;
    if (a.prefix === "") {
      if (name !== "xmlns") attrs[name] = a.value;
    } else if (a.prefix === "xml") {
      attrs[name] = a.value; // the xml prefix is bound implicitly (and only to its namespace)
    } else if (a.prefix !== "xmlns") {
      // A namespaced attribute keeps its prefix, declared right here.
      attrs[name] = a.value;
      attrs[`xmlns:${a.prefix}`] = a.uri;
    }
  }
  return attrs;
}
