// XEP-0198 v1.6 (urn:xmpp:sm:3) protocol functions, stanza in, stanza out. Expected
// elements are written as the XEP's examples show them and compared after parsing, so
// quoting does not matter but every name, namespace and attribute does.
import { describe, expect, it } from "vitest";
import { parse, type Element } from "ltx";
import {
  ackRequest, answerRequest, failed, handledCountTooHigh, onAck, onEnable, parseResume, resumeAllowed, resumed, smFeature, wantsResume,
} from "../../src/stream-management/protocol";
import { isCountedStanza, NS_SM } from "../../src/stream-management/namespace";
import { H_MODULUS, parseH, readAck, wireH } from "../../src/stream-management/counter";
import { newSmId } from "../../src/stream-management/session-id";
import {
  ACK_REQUEST_AFTER_MS, ACK_REQUEST_EVERY, nextAckCheck, shouldRequestAck,
} from "../../src/stream-management/ack-policy";

/** The element `xml` denotes, serialised the way ltx serialises our output. */
const x = (xml: string) => parse(xml).toString();
const s = (el: Element) => el.toString();

describe("XEP-0198 §2 stream feature", () => {
  it("is <sm xmlns='urn:xmpp:sm:3'/>", () => {
    expect(NS_SM).toBe("urn:xmpp:sm:3");
    expect(s(smFeature())).toBe(x("<sm xmlns='urn:xmpp:sm:3'/>"));
  });
});

describe("XEP-0198 §3 enabling", () => {
  const bound = { bound: true, enabled: false };

  it("answers <enable/> without resume with a bare <enabled/> and draws no id", () => {
    let drawn = 0;
    const out = onEnable(bound, parse("<enable xmlns='urn:xmpp:sm:3'/>"), 300, () => `id${drawn++}`);
    expect(out.kind).toBe("enabled");
    expect(s(out.reply)).toBe(x("<enabled xmlns='urn:xmpp:sm:3'/>"));
    expect(drawn).toBe(0);
    if (out.kind === "enabled") expect(out).toMatchObject({ resumable: false, id: null });
  });

  it("answers <enable resume='true'/> with <enabled id resume='true' max=S/>, S the configured window", () => {
    const out = onEnable(bound, parse("<enable xmlns='urn:xmpp:sm:3' resume='true'/>"), 300, () => "some-long-sm-id");
    expect(s(out.reply)).toBe(x("<enabled xmlns='urn:xmpp:sm:3' id='some-long-sm-id' resume='true' max='300'/>"));
    if (out.kind === "enabled") expect(out).toMatchObject({ resumable: true, id: "some-long-sm-id" });
    const other = onEnable(bound, parse("<enable xmlns='urn:xmpp:sm:3' resume='1' max='60'/>"), 42, () => "i2");
    expect(s(other.reply)).toBe(x("<enabled xmlns='urn:xmpp:sm:3' id='i2' resume='true' max='42'/>"));
  });

  it("reads resume as xs:boolean: 'true' and '1' ask for it, 'false', '0' and others do not", () => {
    const ask = (v: string) => wantsResume(parse(`<enable xmlns='urn:xmpp:sm:3' resume='${v}'/>`));
    expect([ask("true"), ask("1"), ask("false"), ask("0"), ask("yes")]).toEqual([true, true, false, false, false]);
  });

  it("fails <enable/> before bind with unexpected-request", () => {
    const out = onEnable({ bound: false, enabled: false }, parse("<enable xmlns='urn:xmpp:sm:3' resume='true'/>"), 300, () => "x");
    expect(out.kind).toBe("failed");
    expect(s(out.reply)).toBe(x("<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
  });

  it("fails a second <enable/> with unexpected-request", () => {
    const out = onEnable({ bound: true, enabled: true }, parse("<enable xmlns='urn:xmpp:sm:3'/>"), 300, () => "x");
    expect(out.kind).toBe("failed");
    expect(s(out.reply)).toBe(x("<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
  });
});

describe("XEP-0198 §4 acking", () => {
  it("answers <r/> with <a h/> of the handled count, reduced modulo 2^32", () => {
    expect(s(ackRequest())).toBe(x("<r xmlns='urn:xmpp:sm:3'/>"));
    expect(s(answerRequest(0))).toBe(x("<a xmlns='urn:xmpp:sm:3' h='0'/>"));
    expect(s(answerRequest(1))).toBe(x("<a xmlns='urn:xmpp:sm:3' h='1'/>"));
    expect(s(answerRequest(H_MODULUS - 1))).toBe(x("<a xmlns='urn:xmpp:sm:3' h='4294967295'/>"));
    expect(s(answerRequest(H_MODULUS + 4))).toBe(x("<a xmlns='urn:xmpp:sm:3' h='4'/>"));
  });

  it("releases what <a h/> acknowledges", () => {
    expect(onAck(parse("<a xmlns='urn:xmpp:sm:3' h='3'/>"), 0, 5)).toEqual({ kind: "ack", acked: 3, released: 3 });
    expect(onAck(parse("<a xmlns='urn:xmpp:sm:3' h='5'/>"), 3, 5)).toEqual({ kind: "ack", acked: 5, released: 2 });
    // A repeated acknowledgement releases nothing.
    expect(onAck(parse("<a xmlns='urn:xmpp:sm:3' h='5'/>"), 5, 5)).toEqual({ kind: "ack", acked: 5, released: 0 });
  });

  it("ends the stream with undefined-condition and the XEP's handled-count-too-high when h exceeds what was sent", () => {
    const out = onAck(parse("<a xmlns='urn:xmpp:sm:3' h='10'/>"), 0, 8);
    expect(out.kind).toBe("stream-error");
    if (out.kind !== "stream-error") return;
    expect(s(out.error)).toBe(x(
      "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>" +
        "<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
        "<handled-count-too-high xmlns='urn:xmpp:sm:3' h='10' send-count='8'/>" +
      "</stream:error>",
    ));
    expect(s(handledCountTooHigh(10, 8))).toBe(s(out.error));
  });

  it("treats an h below the last acknowledgement as too high (acknowledgements never go back)", () => {
    const out = onAck(parse("<a xmlns='urn:xmpp:sm:3' h='2'/>"), 4, 6);
    expect(out.kind).toBe("stream-error");
    if (out.kind === "stream-error") expect(out.error.getChild("handled-count-too-high", NS_SM)?.attrs).toMatchObject({ h: "2", "send-count": "6" });
  });

  it("answers a missing or malformed h with bad-format", () => {
    for (const bad of ["<a xmlns='urn:xmpp:sm:3'/>", "<a xmlns='urn:xmpp:sm:3' h='-1'/>", "<a xmlns='urn:xmpp:sm:3' h='4294967296'/>", "<a xmlns='urn:xmpp:sm:3' h='1e3'/>"]) {
      const out = onAck(parse(bad), 0, 0);
      expect(out.kind).toBe("stream-error");
      if (out.kind === "stream-error") expect(out.error.getChild("bad-format", "urn:ietf:params:xml:ns:xmpp-streams")).toBeTruthy();
    }
  });

  it("counts only message, presence and iq of jabber:client, not nonzas", () => {
    const counted = (xml: string) => isCountedStanza(parse(xml));
    expect(counted("<message xmlns='jabber:client'/>")).toBe(true);
    expect(counted("<presence/>")).toBe(true);
    expect(counted("<iq xmlns='jabber:client' type='get' id='1'/>")).toBe(true);
    expect(counted("<r xmlns='urn:xmpp:sm:3'/>")).toBe(false);
    expect(counted("<a xmlns='urn:xmpp:sm:3' h='1'/>")).toBe(false);
    expect(counted("<enable xmlns='urn:xmpp:sm:3'/>")).toBe(false);
    expect(counted("<inactive xmlns='urn:xmpp:csi:0'/>")).toBe(false);
    expect(counted("<message xmlns='jabber:component:accept'/>")).toBe(false);
  });
});

describe("the 2^32 wrap-around of h", () => {
  it("wire values are totals modulo 2^32", () => {
    expect(wireH(H_MODULUS - 1)).toBe(4294967295);
    expect(wireH(H_MODULUS)).toBe(0);
    expect(wireH(H_MODULUS + 7)).toBe(7);
  });

  it("an ack across the wrap releases the right count", () => {
    // 2^32 - 2 acknowledged, 2^32 + 3 sent: h = 1 acknowledges 3 more (…, 4294967295, 0, 1).
    expect(readAck(1, H_MODULUS - 2, H_MODULUS + 3)).toEqual({ ok: true, acked: H_MODULUS + 1, released: 3 });
    expect(readAck(3, H_MODULUS - 2, H_MODULUS + 3)).toEqual({ ok: true, acked: H_MODULUS + 3, released: 5 });
    // One past the send count, across the wrap: too high, send-count on the wire.
    expect(readAck(4, H_MODULUS - 2, H_MODULUS + 3)).toEqual({ ok: false, sendCount: 3 });
  });

  it("onAck compares modulo 2^32 as well", () => {
    expect(onAck(parse("<a xmlns='urn:xmpp:sm:3' h='0'/>"), H_MODULUS - 1, H_MODULUS)).toEqual({ kind: "ack", acked: H_MODULUS, released: 1 });
  });

  it("parses h as an unsignedInt only", () => {
    expect([parseH("0"), parseH("4294967295"), parseH("4294967296"), parseH(""), parseH(" 1"), parseH(undefined)]).toEqual([0, 4294967295, null, null, null, null]);
  });
});

describe("XEP-0198 §5 resumption", () => {
  it("parses <resume previd h/> and refuses one without them (failed bad-request)", () => {
    expect(parseResume(parse("<resume xmlns='urn:xmpp:sm:3' previd='some-long-sm-id' h='43'/>"))).toEqual({ ok: true, previd: "some-long-sm-id", h: 43 });
    for (const bad of ["<resume xmlns='urn:xmpp:sm:3' h='1'/>", "<resume xmlns='urn:xmpp:sm:3' previd='a'/>", "<resume xmlns='urn:xmpp:sm:3' previd='' h='1'/>", "<resume xmlns='urn:xmpp:sm:3' previd='a' h='x'/>"]) {
      const r = parseResume(parse(bad));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(s(r.reply)).toBe(x("<failed xmlns='urn:xmpp:sm:3'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    }
  });

  it("answers <resumed previd h/> with the server's handled count", () => {
    expect(s(resumed("some-long-sm-id", 7))).toBe(x("<resumed xmlns='urn:xmpp:sm:3' previd='some-long-sm-id' h='7'/>"));
    expect(s(resumed("p", H_MODULUS + 2))).toBe(x("<resumed xmlns='urn:xmpp:sm:3' previd='p' h='2'/>"));
  });

  it("fails with item-not-found, with h when the session is known to have ended", () => {
    expect(s(failed("item-not-found", 12))).toBe(x("<failed xmlns='urn:xmpp:sm:3' h='12'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    expect(s(failed("item-not-found"))).toBe(x("<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
  });

  it("allows <resume/> only after SASL and before bind", () => {
    expect(resumeAllowed({ bound: false, enabled: false })).toBe(true);
    expect(resumeAllowed({ bound: true, enabled: false })).toBe(false);
    expect(resumeAllowed({ bound: true, enabled: true })).toBe(false);
  });

  it("draws 128-bit random ids, base64url", () => {
    const ids = new Set(Array.from({ length: 200 }, () => newSmId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe("the server's own ack requests", () => {
  const t0 = 1_000_000;
  it(`asks after ${ACK_REQUEST_EVERY} unacknowledged stanzas, one request at a time`, () => {
    expect(shouldRequestAck({ unacked: ACK_REQUEST_EVERY - 1, oldestUnackedAt: t0, requestedAt: null }, t0)).toBe(false);
    expect(shouldRequestAck({ unacked: ACK_REQUEST_EVERY, oldestUnackedAt: t0, requestedAt: null }, t0)).toBe(true);
    expect(shouldRequestAck({ unacked: ACK_REQUEST_EVERY * 3, oldestUnackedAt: t0, requestedAt: t0 }, t0 + 1000)).toBe(false);
  });

  it(`asks when the oldest has waited ${ACK_REQUEST_AFTER_MS} ms, and repeats a request unanswered that long`, () => {
    expect(shouldRequestAck({ unacked: 1, oldestUnackedAt: t0, requestedAt: null }, t0 + ACK_REQUEST_AFTER_MS - 1)).toBe(false);
    expect(shouldRequestAck({ unacked: 1, oldestUnackedAt: t0, requestedAt: null }, t0 + ACK_REQUEST_AFTER_MS)).toBe(true);
    expect(shouldRequestAck({ unacked: 1, oldestUnackedAt: t0, requestedAt: t0 }, t0 + ACK_REQUEST_AFTER_MS)).toBe(true);
    expect(shouldRequestAck({ unacked: 0, oldestUnackedAt: null, requestedAt: null }, t0 + 10 * ACK_REQUEST_AFTER_MS)).toBe(false);
  });

  it("tells when to look again by time", () => {
    expect(nextAckCheck({ unacked: 0, oldestUnackedAt: null, requestedAt: null })).toBeNull();
    expect(nextAckCheck({ unacked: 2, oldestUnackedAt: t0, requestedAt: null })).toBe(t0 + ACK_REQUEST_AFTER_MS);
    expect(nextAckCheck({ unacked: 2, oldestUnackedAt: t0, requestedAt: t0 + 5 })).toBe(t0 + 5 + ACK_REQUEST_AFTER_MS);
  });
});
