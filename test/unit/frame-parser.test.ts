// RFC 7395 §3.3.3 framing and RFC 6120 §11.1 restricted XML, as parseFrame enforces them.
import { describe, expect, it } from "vitest";
import { parseFrame, parseTrusted } from "../../src/xml/frame-parser";

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
