// Slow readers (issue 14 item 7): the byte meter of src/stream/reader-proof.ts, and the
// UTF-8 count it uses. The end-to-end behaviour is in test/e2e/slow-reader.test.ts.
import { describe, expect, it } from "vitest";
import { ANSWER_WITHIN_MS, HARD_FACTOR, MAX_UNPROVEN_BYTES, PROOF_AFTER_BYTES, ReaderMeter, unprovenBound, worthKeeping } from "../../src/stream/reader-proof";
import { utf8Length } from "../../src/xml/frame-parser";

describe("utf8Length", () => {
  it("counts like TextEncoder, without encoding", () => {
    const enc = new TextEncoder();
    for (const s of ["", "plain ascii <message/>", "é", "ü€", "日本語", "😀 and 𝄞", "a\u07ffb\u0800c\uffff"]) {
      expect(utf8Length(s)).toBe(enc.encode(s).length);
    }
  });
});

describe("the reader meter", () => {
  it("a ping unanswered for ANSWER_WITHIN_MS ends the stream whatever the count; past the hard bound at once", () => {
    const m = new ReaderMeter(1000);
    m.wrote(990);
    expect(m.fits(11, 0)).toBe(true); // nothing asked yet
    expect(m.pingDeadline()).toBeNull();
    m.asked({ kind: "ping", id: "p" }, 1000);
    expect(m.pingDeadline()).toBe(1000 + ANSWER_WITHIN_MS);
    expect(m.fits(1, 1000 + ANSWER_WITHIN_MS)).toBe(true);
    expect(m.overdue(1000 + ANSWER_WITHIN_MS)).toBe(false);
    expect(m.fits(1, 1001 + ANSWER_WITHIN_MS)).toBe(false);
    expect(m.overdue(1001 + ANSWER_WITHIN_MS)).toBe(true);
    expect(m.fits(1000 * HARD_FACTOR - 990, 1001)).toBe(true);
    expect(m.fits(1000 * HARD_FACTOR - 989, 1001)).toBe(false);
    // The answer comes: nothing is overdue any more.
    m.answered("p");
    expect(m.fits(11, 99_999)).toBe(true);
    expect(m.pingDeadline()).toBeNull();
    expect(unprovenBound(262144)).toBe(MAX_UNPROVEN_BYTES);
    expect(unprovenBound(1024 * 1024)).toBe(4 * 1024 * 1024);
  });

  it("XEP-0198: an <r/> unanswered for ANSWER_WITHIN_MS ends the stream only past the bound", () => {
    const m = new ReaderMeter(1000);
    m.wrote(500);
    m.asked({ kind: "sm", h: 3 }, 0);
    expect(m.pingDeadline()).toBeNull(); // no timer: the queue is durable
    expect(m.fits(500, ANSWER_WITHIN_MS + 1)).toBe(true);
    expect(m.fits(501, ANSWER_WITHIN_MS)).toBe(true);
    expect(m.fits(501, ANSWER_WITHIN_MS + 1)).toBe(false);
  });

  it("asks for a ping once PROOF_AFTER_BYTES are unproven, one at a time; the answer proves what was written before it", () => {
    const m = new ReaderMeter(MAX_UNPROVEN_BYTES);
    m.wrote(PROOF_AFTER_BYTES - 1);
    expect(m.wants("ping")).toBe(false);
    m.wrote(1);
    expect(m.wants("ping")).toBe(true);
    m.asked({ kind: "ping", id: "p1" }, 0);
    expect(m.wants("ping")).toBe(false);
    m.wrote(5000);
    expect(m.answered("other")).toBe(false);
    expect(m.unproven).toBe(PROOF_AFTER_BYTES + 5000);
    expect(m.answered("p1")).toBe(true);
    expect(m.unproven).toBe(5000);
    expect(m.answered("p1")).toBe(false); // answered once
  });

  it("keeps the stanzas written since the last proof, and lets go of those a proof covers", () => {
    const m = new ReaderMeter(MAX_UNPROVEN_BYTES);
    m.wrote(100, "<message id='1'/>");
    m.wrote(100); // a presence: counted, not kept
    m.asked({ kind: "ping", id: "p" }, 0);
    m.wrote(100, "<message id='2'/>");
    m.answered("p");
    expect(m.takeHeld()).toEqual(["<message id='2'/>"]);
    expect(m.takeHeld()).toEqual([]);
  });

  it("XEP-0198: an <a/> covering an <r/> proves what preceded it; one acknowledging everything sent proves all", () => {
    const m = new ReaderMeter(MAX_UNPROVEN_BYTES);
    m.wrote(1000, "<message id='1'/>"); // stanza h=1
    m.asked({ kind: "sm", h: 1 }, 0);
    m.wrote(500, "<message id='2'/>"); // h=2
    expect(m.acknowledged(0, 2)).toBe(false);
    expect(m.acknowledged(1, 2)).toBe(true);
    expect(m.unproven).toBe(500);
    expect(m.acknowledged(2, 2)).toBe(true);
    expect(m.unproven).toBe(0);
    expect(m.takeHeld()).toEqual([]);
    // Counts wrap at 2^32.
    const w = new ReaderMeter(MAX_UNPROVEN_BYTES);
    w.wrote(10);
    w.asked({ kind: "sm", h: 2 ** 32 - 1 }, 0);
    w.wrote(10);
    expect(w.acknowledged(0, 1)).toBe(true);
    expect(w.unproven).toBe(10);
  });

  it("what the attachment keeps restores the count and the open questions", () => {
    const m = new ReaderMeter(MAX_UNPROVEN_BYTES);
    m.wrote(70_000);
    m.asked({ kind: "ping", id: "p" }, 1234);
    m.wrote(30_000);
    const mark = m.mark();
    expect(mark).toEqual({ unproven: 100_000, open: [{ kind: "ping", id: "p", after: 30_000, since: 1234 }] });
    const again = new ReaderMeter(MAX_UNPROVEN_BYTES, structuredClone(mark));
    expect(again.unproven).toBe(100_000);
    expect(again.wants("ping")).toBe(false);
    expect(again.answered("p")).toBe(true);
    expect(again.unproven).toBe(30_000);
  });

  it("keeps messages (not errors) and IQ requests", () => {
    expect(worthKeeping(`<message xmlns="jabber:client" type="chat" id="a"><body>x</body></message>`)).toBe(true);
    expect(worthKeeping(`<message xmlns="jabber:client" id="a"><body>x</body></message>`)).toBe(true);
    expect(worthKeeping(`<message xmlns="jabber:client" type="error" id="a"/>`)).toBe(false);
    expect(worthKeeping(`<iq xmlns="jabber:client" type="set" id="a"/>`)).toBe(true);
    expect(worthKeeping(`<iq xmlns="jabber:client" type='get' id="a"/>`)).toBe(true);
    expect(worthKeeping(`<iq xmlns="jabber:client" type="result" id="a"/>`)).toBe(false);
    expect(worthKeeping(`<presence xmlns="jabber:client"/>`)).toBe(false);
  });
});
