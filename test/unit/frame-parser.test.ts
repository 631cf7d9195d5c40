// RFC 7395 §3.3.3 framing and RFC 6120 §11.1 restricted XML, as parseFrame enforces them.
import { describe, expect, it } from "vitest";
import { parseFrame, parseTrusted } from "../../src/xml/frame-parser";
import { namespaceOf } from "../../src/xml/namespace-of";

const MAX = 256 * 1024;

describe("parseFrame", () => {
  it("parses one complete element with attributes and children", () => {
    const r = parseFrame(`<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>a &amp; b</body></message>`, MAX);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.element.name).toBe("message");
    expect(r.element.attrs).toEqual({ xmlns: "jabber:client", to: "bob@localhost", type: "chat" });
    expect(r.element.getChildText("body")).toBe("a & b");
  });

  it("accepts a leading XML declaration and CDATA", () => {
    const r = parseFrame(`<?xml version='1.0'?><message><body><![CDATA[<b>]]></body></message>`, MAX);
    expect(r.ok && r.element.getChildText("body")).toBe("<b>");
  });

  it.each([
    ["two top-level elements", "<a/><b/>", "not-well-formed"],
    ["text after the element", "<a/>junk", "not-well-formed"],
    ["an unclosed element", "<message><body>x</body>", "not-well-formed"],
    ["a mismatched end tag", "<a><b></a></b>", "not-well-formed"],
    ["an unknown entity", "<a>&nbsp;</a>", "not-well-formed"],
    ["plain text", "hello", "not-well-formed"],
    ["a comment (RFC 6120 §11.1)", "<a><!-- x --></a>", "restricted-xml"],
    ["a processing instruction", "<a><?pi x?></a>", "restricted-xml"],
    ["a DTD", "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "restricted-xml"],
  ])("refuses %s", (_what, frame, condition) => {
    const r = parseFrame(frame, MAX);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.condition).toBe(condition);
  });

  it("refuses a frame over the limit with policy-violation, counting UTF-8 bytes", () => {
    const small = 2000;
    expect(parseFrame(`<a>${"x".repeat(1900)}</a>`, small).ok).toBe(true);
    const r = parseFrame(`<a>${"é".repeat(1000)}</a>`, small); // 2000 bytes of payload in 1000 UTF-16 units
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.condition).toBe("policy-violation");
  });
});

describe("parseTrusted (stanzas handed between objects)", () => {
  it("parses a stanza beyond any client limit", () => {
    const big = `<message xmlns='jabber:client'><body>${"x".repeat(20 * 1024 * 1024)}</body></message>`;
    expect(parseTrusted(big).getChildText("body")!.length).toBe(20 * 1024 * 1024);
  });
  it("throws on broken XML, which no gateway code produces", () => {
    expect(() => parseTrusted("<a><b></a>")).toThrow("Incomplete document");
    expect(() => parseTrusted("<a>&bogus;</a>")).toThrow(/Illegal XML entity/);
  });
});

// XML 1.0 + Namespaces in XML + RFC 6120 §11, each rule with the condition it ends the stream with.
describe("parseFrame strictness (issue 14)", () => {
  const refused: [string, string, string][] = [
    ["U+0001 in text", "<a>\u0001</a>", "not-well-formed"],
    ["U+0000 in text", "<a>x\u0000</a>", "not-well-formed"],
    ["U+001F in an attribute value", "<a b='\u001f'/>", "not-well-formed"],
    ["U+FFFE in text", "<a>\ufffe</a>", "not-well-formed"],
    ["U+FFFF in an attribute value", "<a b='\uffff'/>", "not-well-formed"],
    ["a lone high surrogate in text", "<a>\ud800x</a>", "not-well-formed"],
    ["a lone high surrogate before '<'", "<a>\ud800</a>", "not-well-formed"],
    ["a lone low surrogate in an attribute", "<a b='\udc00'/>", "not-well-formed"],
    ["a lone high surrogate in an attribute", "<a b='\ud800x'/>", "not-well-formed"],
    ["a lone high surrogate at the end", "<a/>\ud800", "not-well-formed"],
    ["a char ref to U+0001", "<a>&#1;</a>", "not-well-formed"],
    ["a char ref to U+0000", "<a b='&#x0;'/>", "not-well-formed"],
    ["a char ref to a surrogate", "<a>&#xD800;</a>", "not-well-formed"],
    ["a char ref to U+FFFF", "<a>&#xFFFF;</a>", "not-well-formed"],
    ["a char ref beyond U+10FFFF", "<a>&#x110000;</a>", "not-well-formed"],
    ["'<' in a name", "<x<y/>", "not-well-formed"],
    ["'>' in an attribute name", "<a a>b='1'/>", "not-well-formed"],
    ["'\"' in a name", "<a\"b/>", "not-well-formed"],
    ["'/' in a name", "<a/b/>", "not-well-formed"],
    ["a name starting with a digit", "<1a/>", "not-well-formed"],
    ["a name with two colons", "<a:b:c xmlns:a='u'/>", "not-well-formed"],
    ["'<' in an attribute value", "<a b='<'/>", "not-well-formed"],
    ["an undeclared element prefix", "<p:a/>", "not-well-formed"],
    ["an undeclared attribute prefix", "<a p:x='1'/>", "not-well-formed"],
    ["a duplicate attribute", "<a b='1' b='2'/>", "not-well-formed"],
    ["a duplicate namespace declaration", "<a xmlns='u' xmlns='v'/>", "not-well-formed"],
    ["a duplicate attribute after prefix resolution", "<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>", "not-well-formed"],
    ["an unquoted attribute value", "<message to=bob@localhost/b id='c6'/>", "not-well-formed"],
    ["an attribute without a value", "<a b/>", "not-well-formed"],
    ["attributes without whitespace between them", "<a b='1'c='2'/>", "not-well-formed"],
    ["a bare '&'", "<a>x & y</a>", "not-well-formed"],
    ["a bare '&' in an attribute", "<a b='x&y'/>", "not-well-formed"],
    ["a predefined entity name in the wrong case", "<a>&AMP;</a>", "not-well-formed"],
    ["']]>' in text", "<a>]]></a>", "not-well-formed"],
    ["a mismatched prefixed end tag", "<p:a xmlns:p='u'></a>", "not-well-formed"],
    ["a second root after whitespace", "<a/> <b/>", "not-well-formed"],
    ["text before the element", "x<a/>", "not-well-formed"],
    ["an empty frame", "", "not-well-formed"],
    ["whitespace only", "  ", "not-well-formed"],
    ["an XML declaration after whitespace", " <?xml version='1.0'?><a/>", "not-well-formed"],
    ["an XML declaration inside the element", "<a><?xml version='1.0'?></a>", "not-well-formed"],
    ["XML 1.1 (which allows control characters)", "<?xml version='1.1'?><a>&#1;</a>", "not-well-formed"],
    ["a non-UTF-8 encoding (RFC 6120 §11.6)", "<?xml version='1.0' encoding='ISO-8859-1'?><a/>", "unsupported-encoding"],
    ["the xml prefix bound elsewhere", "<a xmlns:xml='urn:x'/>", "not-well-formed"],
    ["the xmlns prefix on an element", "<xmlns:a/>", "not-well-formed"],
    ["a prefix undeclared (XML 1.0 forbids xmlns:p='')", "<a xmlns:p=''/>", "not-well-formed"],
    ["a comment before the element", "<!-- x --><a/>", "restricted-xml"],
    ["a comment after the element", "<a/><!-- x -->", "restricted-xml"],
    ["a processing instruction after the element", "<a/><?pi?>", "restricted-xml"],
    ["a DOCTYPE without internal subset", "<!DOCTYPE a><a/>", "restricted-xml"],
    ["a DTD entity used in the root's attribute", "<!DOCTYPE a [<!ENTITY x 'y'>]><a b='&x;'/>", "restricted-xml"],
    ["a DTD after a comment-free prolog with a declaration", "<?xml version='1.0'?><!DOCTYPE a><a/>", "restricted-xml"],
    ["an external entity attempt", "<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>", "restricted-xml"],
  ];
  it.each(refused)("refuses %s", (_what, frame, condition) => {
    const r = parseFrame(frame, MAX);
    expect(r.ok ? "accepted" : r.condition).toBe(condition);
  });

  it("refuses nesting deeper than 64 levels with policy-violation, without overflowing the stack", () => {
    const ok = "<a>".repeat(64) + "</a>".repeat(64);
    expect(parseFrame(ok, MAX).ok).toBe(true);
    const deep65 = "<a>".repeat(65) + "</a>".repeat(65);
    const r = parseFrame(deep65, MAX);
    expect(r.ok ? "accepted" : r.condition).toBe("policy-violation");
    const deep = "<a>".repeat(30_000) + "</a>".repeat(30_000); // 210,000 bytes, within MAX
    const d = parseFrame(deep, MAX);
    expect(d.ok ? "accepted" : d.condition).toBe("policy-violation");
    const unclosed = "<a>".repeat(80_000);
    const u = parseFrame(unclosed, MAX);
    expect(u.ok ? "accepted" : u.condition).toBe("policy-violation");
  });

  it("accepts what XML allows: the five entities, char refs, CDATA, tab/CR/LF, astral characters, whitespace around the root", () => {
    const r = parseFrame(`\n <a b="&quot;&apos;&lt;&gt;&amp;&#x41;&#66;" c='\t'>&#x1F600;\u{1F600}\t\r\n<![CDATA[<&]]></a> \n`, MAX);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.element.attrs.b).toBe(`"'<>&AB`);
    expect(r.element.getText()).toBe("\u{1F600}\u{1F600}\t\n<&");
  });

  it("accepts a BOM and an XML declaration with encoding UTF-8", () => {
    expect(parseFrame(`\ufeff<a/>`, MAX).ok).toBe(true);
    expect(parseFrame(`<?xml version="1.0" encoding="UTF-8"?><a/>`, MAX).ok).toBe(true);
  });
});

describe("parseFrame normalisation: local names, resolved namespaces", () => {
  function parsed(frame: string) {
    const r = parseFrame(frame, MAX);
    if (!r.ok) throw new Error(`refused: ${r.condition} ${r.text}`);
    return r.element;
  }

  it("names a prefixed stanza by its local name, in its namespace", () => {
    const el = parsed(`<c:message xmlns:c='jabber:client' to='bob@localhost' type='chat'><c:body>hi</c:body></c:message>`);
    expect(el.toString()).toBe(`<message xmlns="jabber:client" to="bob@localhost" type="chat"><body>hi</body></message>`);
    expect(el.getChildText("body")).toBe("hi");
  });

  it("reveals a prefixed payload hiding under another default namespace", () => {
    const el = parsed(`<iq xmlns='jabber:client' type='set' id='1'><r:query xmlns='http://jabber.org/protocol/pubsub' xmlns:r='jabber:iq:roster'><item jid='x@y'/></r:query></iq>`);
    const q = el.getChildElements()[0]!;
    expect(q.name).toBe("query");
    expect(q.attrs.xmlns).toBe("jabber:iq:roster");
    expect(el.getChild("query", "jabber:iq:roster")).toBe(q);
    expect(el.getChild("query", "http://jabber.org/protocol/pubsub")).toBeUndefined();
    // The unprefixed child is in the declared default namespace, pubsub.
    expect(q.getChildElements()[0]!.attrs.xmlns).toBe("http://jabber.org/protocol/pubsub");
    expect(namespaceOf(q.getChildElements()[0]!)).toBe("http://jabber.org/protocol/pubsub");
    expect(el.toString()).toBe(
      `<iq xmlns="jabber:client" type="set" id="1"><query xmlns="jabber:iq:roster"><item xmlns="http://jabber.org/protocol/pubsub" jid="x@y"/></query></iq>`,
    );
  });

  it("resolves the namespace of unprefixed children from the nearest default, and keeps xmlns='' as no namespace", () => {
    const el = parsed(`<message xmlns='jabber:client'><x xmlns='urn:a'><y/></x><z xmlns=''/></message>`);
    const [x, z] = el.getChildElements();
    expect(x!.attrs.xmlns).toBe("urn:a");
    expect(x!.getChildElements()[0]!.attrs.xmlns).toBeUndefined();
    expect(namespaceOf(x!.getChildElements()[0]!)).toBe("urn:a");
    expect(z!.attrs.xmlns).toBe("");
    expect(namespaceOf(z!)).toBe("");
  });

  it("leaves xmlns absent on a root in no namespace so the stream's default applies", () => {
    const el = parsed(`<message to='a@b'><body>x</body></message>`);
    expect(el.attrs).toEqual({ to: "a@b" });
    expect(namespaceOf(el)).toBeUndefined();
  });

  it("drops unused namespace declarations", () => {
    const el = parsed(`<iq xmlns='jabber:client' xmlns:unused='urn:u' xmlns:p='urn:p'><p:ping/></iq>`);
    expect(el.toString()).toBe(`<iq xmlns="jabber:client"><ping xmlns="urn:p"/></iq>`);
  });

  it("keeps prefixed attributes with their declaration on the same element", () => {
    const el = parsed(`<message xmlns='jabber:client' xmlns:e='urn:ext'><body e:mark='1'>x</body></message>`);
    const body = el.getChild("body")!;
    expect(body.attrs).toEqual({ "e:mark": "1", "xmlns:e": "urn:ext" });
    // Re-parsed by a strict parser, the serialisation gives the same namespaces.
    const again = parsed(el.toString());
    expect(again.getChild("body")!.attrs).toEqual({ "e:mark": "1", "xmlns:e": "urn:ext" });
  });

  it("keeps xml:lang as is", () => {
    const el = parsed(`<message xmlns='jabber:client' xml:lang='fr'><body xml:lang='en'>hi</body></message>`);
    expect(el.attrs["xml:lang"]).toBe("fr");
    expect(el.getChild("body")!.attrs).toEqual({ "xml:lang": "en" });
  });

  it("treats a prefix redeclared lower down by its innermost binding", () => {
    const el = parsed(`<p:a xmlns:p='urn:one'><p:b xmlns:p='urn:two'><p:c/></p:b></p:a>`);
    expect(el.toString()).toBe(`<a xmlns="urn:one"><b xmlns="urn:two"><c/></b></a>`);
  });

  it("serialises names and values so that a strict parser reads back the same tree", () => {
    const frame = `<m:message xmlns:m='jabber:client' to='a&amp;b' x='&lt;&gt;&quot;'><m:body>&lt;x&gt; ]]&gt; &amp;</m:body><d:delay xmlns:d='urn:xmpp:delay' stamp='s'/></m:message>`;
    const once = parsed(frame).toString();
    expect(parsed(once).toString()).toBe(once);
    expect(parsed(once).getChildText("body")).toBe("<x> ]]> &");
  });
});
