// The bridge's pure parts, in node: the incremental stream splitter and the
// TCP ↔ WebSocket translation. No sockets here (see bridge.test.ts for those).
// References: XEP-0114 §3, RFC 7395 §3.3-3.6, RFC 6120 §4.2-4.4, §4.9.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "ltx";
import { StreamSplitter } from "../../bin/lib/xml-splitter.mjs";
import { checkTcpHeader, isTcpStreamError, tcpHeader, tcpStreamError, tcpToWs, wsClose, wsOpen, wsToTcp } from "../../bin/lib/translate.mjs";
import { adminToken, parseDevVars } from "../../bin/lib/users.mjs";

type Event = ["start", string, Record<string, string>] | ["element", string] | ["end"] | ["error", string, string];

function splitter(options?: { maxElementChars?: number }) {
  const events: Event[] = [];
  const s = new StreamSplitter(
    {
      streamStart: (name, attrs) => events.push(["start", name, attrs]),
      element: (el) => events.push(["element", el.toString()]),
      streamEnd: () => events.push(["end"]),
      error: (condition, text) => events.push(["error", condition, text]),
    },
    options,
  );
  return { s, events };
}

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='comp.localhost'>";
const HEADER_ATTRS = { xmlns: "jabber:component:accept", "xmlns:stream": "http://etherx.jabber.org/streams", to: "comp.localhost" };
const STREAM =
  HEADER +
  " <handshake>aabb</handshake>\n" +
  "<message to='a@localhost' id=\"m1\"><body>x &amp; y &lt;z&gt; é 😀 '&quot;</body><x xmlns='urn:x'><![CDATA[<raw> & ]]></x></message>" +
  "<iq type='get' id='q>1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>" +
  "<presence/>  </stream:stream>";
const EXPECTED: Event[] = [
  ["start", "stream:stream", HEADER_ATTRS],
  ["element", "<handshake>aabb</handshake>"],
  ["element", `<message to="a@localhost" id="m1"><body>x &amp; y &lt;z&gt; é 😀 '"</body><x xmlns="urn:x">&lt;raw&gt; &amp; </x></message>`],
  ["element", `<iq type="get" id="q&gt;1" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`],
  ["element", "<presence/>"],
  ["end"],
];

describe("StreamSplitter", () => {
  it("splits a whole stream given in one chunk into header, elements and end", () => {
    const { s, events } = splitter();
    s.write(STREAM);
    expect(events).toEqual(EXPECTED);
  });

  it("gives the same events when the stream arrives one character at a time", () => {
    const { s, events } = splitter();
    for (const ch of STREAM) s.write(ch);
    expect(events).toEqual(EXPECTED);
  });

  it("gives the same events for every split of the stream into two chunks", () => {
    const chars = [...STREAM];
    for (let i = 1; i < chars.length; i++) {
      const { s, events } = splitter();
      s.write(chars.slice(0, i).join(""));
      s.write(chars.slice(i).join(""));
      expect(events, `split at ${i}`).toEqual(EXPECTED);
    }
  });

  it("reports an element only when its end tag has arrived", () => {
    const { s, events } = splitter();
    s.write(HEADER + "<message><body>hel");
    expect(events).toEqual([["start", "stream:stream", HEADER_ATTRS]]);
    s.write("lo</body></mess");
    expect(events.length).toBe(1);
    s.write("age><presence/>");
    expect(events.slice(1)).toEqual([["element", "<message><body>hello</body></message>"], ["element", "<presence/>"]]);
  });

  it("ignores whitespace keep-alives between stanzas", () => {
    const { s, events } = splitter();
    s.write(HEADER);
    s.write(" ");
    s.write("\n\t ");
    s.write("<presence/>");
    expect(events.slice(1)).toEqual([["element", "<presence/>"]]);
  });

  it("refuses a mismatched end tag with not-well-formed", () => {
    const { s, events } = splitter();
    s.write(HEADER + "<message><body>x</message>");
    expect(events.slice(1)).toEqual([["error", "not-well-formed", "unexpected close tag."]]);
    s.write("<presence/>");
    expect(events.length).toBe(2); // nothing after a failure
  });

  it("refuses text outside a stanza, an unknown entity and a DTD", () => {
    const a = splitter();
    a.s.write(HEADER + "hello<presence/>");
    expect(a.events.slice(1)).toEqual([["error", "not-well-formed", "text outside a stanza"]]);
    const b = splitter();
    b.s.write(HEADER + "<message><body>&nbsp;</body></message>");
    expect(b.events[1]?.[0]).toBe("error");
    expect(b.events[1]?.[1]).toBe("not-well-formed");
    const c = splitter();
    c.s.write("<!DOCTYPE stream>" + HEADER);
    expect(c.events).toEqual([["error", "restricted-xml", "DTDs are not allowed in XMPP"]]);
  });

  it("refuses an element larger than the bound with policy-violation", () => {
    const { s, events } = splitter({ maxElementChars: 100 });
    s.write(HEADER);
    s.write("<message><body>" + "x".repeat(60));
    expect(events.length).toBe(1);
    s.write("y".repeat(60));
    expect(events[1]).toEqual(["error", "policy-violation", "element larger than 100 characters"]);
  });

  it("keeps nothing of an element once it has been reported (bounded memory over a long stream)", () => {
    const { s, events } = splitter({ maxElementChars: 200 });
    s.write(HEADER);
    for (let i = 0; i < 1000; i++) s.write(`<message id='${i}'><body>${"z".repeat(100)}</body></message>`);
    expect(events.length).toBe(1001);
    expect(events.every((e) => e[0] !== "error")).toBe(true);
  });

  // Issue 14: the bridge refuses what the gateway refuses, with the same condition, never repairing.
  it.each([
    ["a comment", "<!-- a comment --><presence/>", "restricted-xml"],
    ["a processing instruction", "<?pi x?><presence/>", "restricted-xml"],
    ["a control character in text", "<message><body>\u0001</body></message>", "not-well-formed"],
    ["U+FFFF in an attribute", "<message id='\uffff'/>", "not-well-formed"],
    ["a lone surrogate", "<message><body>\ud800x</body></message>", "not-well-formed"],
    ["'<' inside a name", "<x<y/>", "not-well-formed"],
    ["an undeclared prefix", "<p:message/>", "not-well-formed"],
    ["a duplicate attribute", "<message id='a' id='b'/>", "not-well-formed"],
    ["a duplicate attribute after prefix resolution", "<message xmlns:a='u' xmlns:b='u' a:x='1' b:x='2'/>", "not-well-formed"],
    ["an unquoted value", "<message to=bob@localhost/b id='c6'/>", "not-well-formed"],
    ["a bare '&' (refused at once, though no ';' follows)", "<message><body>a & b", "not-well-formed"],
    ["an unknown entity, before its ';'", "<message><body>&nbs", "not-well-formed"],
    ["a char ref to U+0001", "<message><body>&#1;</body></message>", "not-well-formed"],
    ["nesting deeper than 64", "<a>".repeat(70) + "</a>".repeat(70), "policy-violation"],
  ])("refuses %s after the header", (_what, xml, condition) => {
    const { s, events } = splitter();
    s.write(HEADER);
    s.write(xml);
    expect(events[0]?.[0]).toBe("start");
    expect(events.slice(1).map((e) => e.slice(0, 2))).toEqual([["error", condition]]);
  });

  it("refuses a DTD after the XML declaration, a second XML declaration and XML 1.1", () => {
    for (const [input, condition] of [
      ["<?xml version='1.0'?><!DOCTYPE x>", "restricted-xml"],
      [HEADER + "<?xml version='1.0'?>", "not-well-formed"],
      [HEADER.replace("version='1.0'", "version='1.1'"), "not-well-formed"],
      [HEADER.replace("version='1.0'", "version='1.0' encoding='ISO-8859-1'"), "unsupported-encoding"],
    ]) {
      const { s, events } = splitter();
      s.write(input!);
      expect(events.at(-1)?.slice(0, 2), input).toEqual(["error", condition]);
    }
  });

  it("survives 30,000-deep nesting with policy-violation (no recursion per level)", () => {
    const { s, events } = splitter();
    s.write(HEADER + "<a>".repeat(30_000));
    expect(events.slice(1).map((e) => e.slice(0, 2))).toEqual([["error", "policy-violation"]]);
  });

  it("normalises: a prefixed payload hiding under another default namespace comes out in its true namespace", () => {
    const { s, events } = splitter();
    s.write(HEADER + "<iq type='set' id='1'><r:query xmlns='http://jabber.org/protocol/pubsub' xmlns:r='jabber:iq:roster'><item/></r:query></iq>");
    expect(events[1]).toEqual(["element", `<iq type="set" id="1"><query xmlns="jabber:iq:roster"><item xmlns="http://jabber.org/protocol/pubsub"/></query></iq>`]);
  });

  it("normalises: prefixes declared on the stream header are resolved in the stanza", () => {
    const { s, events } = splitter();
    s.write(HEADER.replace("to=", "xmlns:ping='urn:xmpp:ping' to=") + "<iq type='get' id='p'><ping:ping/></iq><stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    expect(events[1]).toEqual(["element", `<iq type="get" id="p"><ping xmlns="urn:xmpp:ping"/></iq>`]);
    expect(events[2]).toEqual(["element", `<error xmlns="http://etherx.jabber.org/streams"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></error>`]);
  });

  it("treats a self-closing stream header as an empty stream", () => {
    const { s, events } = splitter();
    s.write("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'/>");
    expect(events).toEqual([["start", "stream:stream", { "xmlns:stream": "http://etherx.jabber.org/streams", xmlns: "jabber:component:accept" }], ["end"]]);
  });
});

describe("the TCP stream header (XEP-0114 §3)", () => {
  it("accepts a component header and returns its 'to'", () => {
    expect(checkTcpHeader("stream:stream", HEADER_ATTRS)).toEqual({ ok: true, to: "comp.localhost" });
  });

  it("refuses the client namespace, a missing stream namespace and a missing 'to'", () => {
    expect(checkTcpHeader("stream:stream", { ...HEADER_ATTRS, xmlns: "jabber:client" })).toMatchObject({ ok: false, condition: "invalid-namespace" });
    expect(checkTcpHeader("stream:stream", { xmlns: "jabber:component:accept", to: "comp.localhost" })).toMatchObject({ ok: false, condition: "invalid-namespace" });
    expect(checkTcpHeader("stream", HEADER_ATTRS)).toMatchObject({ ok: false, condition: "invalid-namespace" });
    expect(checkTcpHeader("stream:stream", { xmlns: HEADER_ATTRS.xmlns, "xmlns:stream": HEADER_ATTRS["xmlns:stream"] })).toMatchObject({
      ok: false,
      condition: "improper-addressing",
    });
  });

  it("answers with a header carrying the gateway's stream id", () => {
    expect(tcpHeader({ from: "comp.localhost", id: "abc123" })).toBe(
      `<?xml version='1.0'?><stream:stream xmlns:stream="http://etherx.jabber.org/streams" xmlns="jabber:component:accept" from="comp.localhost" id="abc123">`,
    );
  });
});

describe("TCP → WebSocket", () => {
  it("opens the component WebSocket stream with an RFC 7395 <open/>", () => {
    expect(wsOpen("comp.localhost")).toBe(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="comp.localhost" version="1.0"/>`);
    expect(wsClose()).toBe(`<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>`);
  });

  it("makes each stanza standalone with the stream's default namespace, keeping its own", () => {
    expect(tcpToWs(parse("<handshake>aabb</handshake>"), HEADER_ATTRS)).toBe(`<handshake xmlns="jabber:component:accept">aabb</handshake>`);
    expect(tcpToWs(parse("<message to='a@localhost'><body>hi</body></message>"), HEADER_ATTRS)).toBe(
      `<message xmlns="jabber:component:accept" to="a@localhost"><body>hi</body></message>`,
    );
    expect(tcpToWs(parse("<message xmlns='jabber:client'/>"), HEADER_ATTRS)).toBe(`<message xmlns="jabber:client"/>`);
  });

  it("recognises the component's own stream error", () => {
    const el = parse("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    expect(isTcpStreamError(el, HEADER_ATTRS)).toBe(true);
    expect(isTcpStreamError(parse("<error/>"), HEADER_ATTRS)).toBe(false);
  });

  it("recognises a normalised stream error, and makes a normalised stanza standalone", () => {
    expect(isTcpStreamError(parse("<error xmlns='http://etherx.jabber.org/streams'/>"), HEADER_ATTRS)).toBe(true);
    expect(isTcpStreamError(parse("<error xmlns='jabber:component:accept'/>"), HEADER_ATTRS)).toBe(false);
    const header = { ...HEADER_ATTRS, "xmlns:ping": "urn:xmpp:ping" };
    expect(tcpToWs(parse("<iq id='p'><ping xmlns='urn:xmpp:ping'/></iq>"), header)).toBe(`<iq xmlns="jabber:component:accept" id="p"><ping xmlns="urn:xmpp:ping"/></iq>`);
  });
});

describe("WebSocket → TCP", () => {
  it("takes the stream id from the gateway's <open/>", () => {
    expect(wsToTcp(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='comp.localhost' id='f00' version='1.0'/>`)).toEqual({
      kind: "open",
      id: "f00",
      from: "comp.localhost",
    });
  });

  it("turns <close/> into the end of the stream", () => {
    expect(wsToTcp(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`)).toEqual({ kind: "close" });
  });

  it("drops the stream prefix declaration from a stream error (the TCP root declares it)", () => {
    const frame =
      "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
      "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>handshake failed</text></stream:error>";
    expect(wsToTcp(frame)).toEqual({
      kind: "error",
      condition: "not-authorized",
      xml: `<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">handshake failed</text></stream:error>`,
    });
  });

  it("strips the component namespace from the handshake answer and stanzas, but not from children", () => {
    expect(wsToTcp(`<handshake xmlns='jabber:component:accept'/>`)).toEqual({ kind: "handshake", xml: "<handshake/>" });
    expect(
      wsToTcp(`<message xmlns='jabber:component:accept' from='a@localhost/r' to='comp.localhost'><body>hi</body><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'/></forwarded></message>`),
    ).toEqual({
      kind: "stanza",
      xml: `<message from="a@localhost/r" to="comp.localhost"><body>hi</body><forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client"/></forwarded></message>`,
    });
  });

  it("writes stream errors for the TCP side without a prefix declaration", () => {
    expect(tcpStreamError("system-shutdown", "bye")).toBe(
      `<stream:error><system-shutdown xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">bye</text></stream:error>`,
    );
  });

  it("reports a frame that is not XML", () => {
    expect(wsToTcp("<open").kind).toBe("invalid");
  });
});

describe("the CLI's token lookup", () => {
  it("parses KEY=VALUE lines of .dev.vars, skipping comments and removing quotes", () => {
    expect(parseDevVars(`# local\nADMIN_TOKEN=abc=def\n\nCOMPONENT_SECRETS={"a":"b"}\nQUOTED="x y"\nbroken line\n`)).toEqual({
      ADMIN_TOKEN: "abc=def",
      COMPONENT_SECRETS: `{"a":"b"}`,
      QUOTED: "x y",
    });
  });

  it("prefers ADMIN_TOKEN from the environment, then .dev.vars in the directory, else fails", () => {
    const dir = mkdtempSync(join(tmpdir(), "xe-cli-"));
    expect(() => adminToken({}, dir)).toThrow("no admin token");
    writeFileSync(join(dir, ".dev.vars"), "ADMIN_TOKEN=from-file\n");
    expect(adminToken({}, dir)).toBe("from-file");
    expect(adminToken({ ADMIN_TOKEN: "from-env" }, dir)).toBe("from-env");
  });
});
