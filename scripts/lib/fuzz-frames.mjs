// Generated frames for `npm run fuzz`: valid stanzas, valid-but-tricky ones (prefixes,
// namespaces hidden under other defaults, prefixed attributes, xml:lang, references,
// CDATA, astral characters, depth up to the bound) and mutations of them that break a
// rule of XML 1.0, Namespaces in XML or RFC 6120 §11 (characters, names, prefixes,
// attributes, references, nesting, sizes, comments/PIs/DTDs, declarations).
// Deterministic for a given seed. Each frame carries a marker (`fz<seed>-<n>`) so a
// receiver can tell which frame anything it gets came from.

/** mulberry32: a small seeded PRNG. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
}

const TEXTS = ["hi", "a &amp; b", "&lt;tag&gt;", "é ü ß", "😀 \u{1F4A9}", "tab\there", "line\nbreak", "&#x41;&#66;&#x1F600;", "quote &quot;&apos;", "   "];
const NAMESPACES = ["urn:example:a", "urn:example:b", "http://jabber.org/protocol/chatstates", "urn:xmpp:receipts", "jabber:iq:roster", "http://jabber.org/protocol/pubsub"];

/** A valid (and often tricky) message stanza from `from` (or none) to `to`, with its marker. */
export function validStanza(r, { to, from, marker, maxDepthExtra = 8 }) {
  const p = r.pick(["", "c", "jc"]);
  // A client's stanzas are in jabber:client; a component's in either (CONTRACT.md).
  const rootNs = from ? r.pick(["jabber:client", "jabber:component:accept"]) : "jabber:client";
  const q = (n) => (p ? `${p}:${n}` : n);
  const decl = p ? `xmlns:${p}='${rootNs}'` : `xmlns='${rootNs}'`;
  const attrs = [`to='${to}'`, `id='${marker}'`];
  if (from) attrs.push(`from='${from}'`);
  if (r.chance(0.5)) attrs.push(`type='${r.pick(["chat", "normal", "headline"])}'`);
  if (r.chance(0.3)) attrs.push(`xml:lang='${r.pick(["en", "fr", "de-CH"])}'`);
  let body = `<${q("body")}>${r.pick(TEXTS)} ${marker}</${q("body")}>`;
  const extras = r.int(4);
  for (let i = 0; i < extras; i++) body += extension(r, r.int(maxDepthExtra));
  const head = r.chance(0.1) ? "<?xml version='1.0' encoding='UTF-8'?>" : "";
  const ws = r.chance(0.1) ? " \n" : "";
  return `${head}${ws}<${q("message")} ${decl} ${attrs.join(" ")}>${body}</${q("message")}>${ws}`;
}

/** A payload element: prefixed or not, maybe hiding under another default, maybe nested. */
function extension(r, depth) {
  const ns = r.pick(NAMESPACES);
  const kind = r.int(6);
  const inner = depth > 0 ? extension(r, depth - 1) : r.chance(0.3) ? `<![CDATA[<raw> & ]] ${r.pick(TEXTS)}]]>` : r.pick(TEXTS);
  switch (kind) {
    case 0: // plain default namespace
      return `<x xmlns='${ns}'>${inner}</x>`;
    case 1: // prefixed
      return `<e:x xmlns:e='${ns}'>${inner}</e:x>`;
    case 2: // a prefixed element hiding under another default
      return `<h:query xmlns='${r.pick(NAMESPACES)}' xmlns:h='${ns}'><item/>${inner}</h:query>`;
    case 3: // prefixed attributes
      return `<x xmlns='${ns}' xmlns:a='urn:example:attr' a:flag='1' plain='v&amp;w'>${inner}</x>`;
    case 4: // no namespace at all under a namespaced parent
      return `<y xmlns=''>${inner}</y>`;
    default: // unprefixed in the parent's namespace
      return `<z attr="&lt;&gt;&quot;">${inner}</z>`;
  }
}

/** Mutations that break a rule; each returns [frame, label] (label: the intended condition). */
const MUTATIONS = [
  ["control character in text", (r, s) => insertInText(r, s, String.fromCharCode(r.pick([0, 1, 2, 8, 11, 12, 14, 27, 31]))), "not-well-formed"],
  ["U+FFFE/U+FFFF", (r, s) => insertInText(r, s, r.pick(["\ufffe", "\uffff"])), "not-well-formed"],
  ["control character in an attribute", (r, s) => s.replace(/id='/, `id='${String.fromCharCode(r.int(9))}`), "not-well-formed"],
  ["character reference to a forbidden character", (r, s) => insertInText(r, s, r.pick(["&#0;", "&#1;", "&#x1F;", "&#xFFFE;", "&#xFFFF;", "&#xD800;", "&#xDFFF;", "&#x110000;", "&#;", "&#xZZ;"])), "not-well-formed"],
  ["forbidden character in a name", (r, s) => mangleName(r, s), "not-well-formed"],
  ["undeclared element prefix", (r, s) => s.replace(/<body>/, "<u:body>").replace(/<\/body>/, "</u:body>"), "not-well-formed"],
  ["undeclared attribute prefix", (r, s) => s.replace(/ id='/, " u:k='1' id='"), "not-well-formed"],
  ["duplicate attribute", (r, s) => s.replace(/ id='([^']*)'/, " id='$1' id='dup'"), "not-well-formed"],
  ["duplicate after prefix resolution", (r, s) => s.replace(/ id='/, " xmlns:d1='urn:d' xmlns:d2='urn:d' d1:k='1' d2:k='2' id='"), "not-well-formed"],
  ["unquoted attribute value", (r, s) => s.replace(/ to='([^']*)'/, " to=$1"), "not-well-formed"],
  ["attribute without value", (r, s) => s.replace(/ id='/, " bare id='"), "not-well-formed"],
  ["bare ampersand", (r, s) => insertInText(r, s, r.pick(["&", "& ", "&amp", "&nbsp;", "&AMP;", "&unknown;"])), "not-well-formed"],
  ["']]>' in text", (r, s) => insertInText(r, s, "]]>"), "not-well-formed"],
  ["comment", (r, s) => insertBetweenTags(r, s, "<!-- c -->"), "restricted-xml"],
  ["processing instruction", (r, s) => insertBetweenTags(r, s, "<?pi data?>"), "restricted-xml"],
  ["DTD", (r, s) => `<!DOCTYPE message [<!ENTITY e '${r.pick(["x", "&#38;#60;"])}'>]>${stripDecl(s)}`, "restricted-xml"],
  ["XML declaration not at the start", (r, s) => insertBetweenTags(r, s, "<?xml version='1.0'?>"), "not-well-formed"],
  ["XML 1.1", (r, s) => `<?xml version='1.1'?>${stripDecl(s)}`, "not-well-formed"],
  ["non-UTF-8 encoding", (r, s) => `<?xml version='1.0' encoding='${r.pick(["ISO-8859-1", "UTF-16", "ascii"])}'?>${stripDecl(s)}`, "unsupported-encoding"],
  ["too deep", (r, s) => deepen(r, s, r.pick([65, 66, 100, 1000, 30_000])), "policy-violation"],
  ["unclosed element", (r, s) => s.replace(/<\/[a-z:]*body>/, ""), "not-well-formed"],
  ["mismatched end tag", (r, s) => s.replace(/<\/([a-z:]*)body>/, "</$1bodx>"), "not-well-formed"],
  ["second root", (r, s) => s + r.pick(["<a/>", "<message/>"]), "not-well-formed"],
  ["text after the root", (r, s) => s + "junk", "not-well-formed"],
  ["truncated", (r, s) => s.slice(0, 1 + r.int(s.length - 2)), "not-well-formed"],
  ["xml/xmlns prefix abuse", (r, s) => s.replace(/ id='/, ` ${r.pick(["xmlns:xml='urn:x'", "xmlns:xmlns='urn:x'", "xmlns:p=''", "xmlns='http://www.w3.org/2000/xmlns/'"])} id='`), "not-well-formed"],
  ["random dangerous character", (r, s) => replaceAt(r, s, r.pick(["<", ">", "&", "'", '"', "=", "/", ":", "\u0000"])), null],
];

/** A bad frame: a valid stanza, mutated. Returns { frame, what, label } (label null: any refusal). */
export function badStanza(r, opts, maxBytes) {
  const base = validStanza(r, opts);
  if (r.chance(0.01)) {
    const pad = "x".repeat(maxBytes);
    return { frame: base.replace(/<\/([a-z:]*)body>/, `${pad}</$1body>`), what: "over the size limit", label: "policy-violation" };
  }
  const [what, mutate, label] = r.pick(MUTATIONS);
  return { frame: mutate(r, base), what, label };
}

function stripDecl(s) {
  return s.replace(/^<\?xml[^?]*\?>/, "").trimStart();
}

/** Inserts `x` into a text node (just before a '</'). */
function insertInText(r, s, x) {
  const ends = [...s.matchAll(/<\//g)].map((m) => m.index);
  const at = r.pick(ends);
  return s.slice(0, at) + x + s.slice(at);
}

/** Inserts `x` just after a '>' (between tags, never at the very start). */
function insertBetweenTags(r, s, x) {
  const ends = [...s.matchAll(/>/g)].map((m) => m.index + 1);
  const at = r.pick(ends.slice(0, -1).length ? ends.slice(0, -1) : ends);
  return s.slice(0, at) + x + s.slice(at);
}

function mangleName(r, s) {
  const c = r.pick(["<", ">", '"', "'", "/", "=", "&", " 1", "!", "\u0001"]);
  if (r.chance(0.5)) return s.replace(/<body>/, `<bo${c}dy>`).replace(/<\/body>/, `</bo${c}dy>`);
  return s.replace(/ id='/, ` a${c}b='1' id='`);
}

function deepen(r, s, depth) {
  const n = depth - 1; // the root is one level
  return s.replace(/<\/([a-z:]*)body>/, (m) => `${"<d>".repeat(n)}${"</d>".repeat(n)}${m}`);
}

function replaceAt(r, s, c) {
  const at = 1 + r.int(s.length - 2);
  return s.slice(0, at) + c + s.slice(at + 1);
}
