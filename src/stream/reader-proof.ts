// Slow readers (issue 14 item 7). workerd gives a Durable Object no
// WebSocket.bufferedAmount (cloudflare/workerd#988): `send` always succeeds, and what a
// client does not read piles up in the runtime. So a connection counts the bytes it
// has written since the last proof that the client reads them, asks for a proof once
// PROOF_AFTER_BYTES are unproven, and ends the stream with `resource-constraint` when
// the client does not give one, with nothing platform-specific:
//
// - proof: with XEP-0198 on, an <a h/> acknowledging the stanzas an <r/> followed (or
//   everything sent); otherwise the answer (result or error) to a XEP-0199 ping. Every
//   client answers an IQ get (RFC 6120 §8.2.3), so ordinary clients are never cut; the
//   answer is routed nowhere.
// - when the stream ends: a ping unanswered for ANSWER_WITHIN_MS (as ejabberd's
//   mod_ping ends a session whose client does not answer); with XEP-0198, an <r/>
//   unanswered that long while more than MAX_UNPROVEN_BYTES are unproven (a quiet
//   client in the background keeps its session: its queue is durable and bounded by
//   max_queue); and at once past HARD_FACTOR times that bound. The time matters because
//   a burst (a login's offline messages, a flood) is written faster than any answer can
//   come back: measured here, a client answering every ping had 1 MiB written to it in
//   the 0.3 s its first answer took. A stanza that would pass the bound is not written.
// - what the client never proved to have read goes where RFC 6121 sends stanzas for an
//   unavailable resource: with XEP-0198 through its queue; otherwise the meter holds the
//   messages and IQ requests written since the last proof, in memory, and the object
//   keeps a timer at the ping's deadline, so it does not hibernate (and forget them)
//   while a ping waits: at most ANSWER_WITHIN_MS after a burst, never for an idle client.
//
// Nothing here is written to storage. What must survive hibernation (the questions
// asked and the count when they were asked) goes in the socket's attachment when a
// question is asked or answered, never per stanza.

/** Unproven bytes after which the server asks for a proof (a ping, or an early <r/>). */
export const PROOF_AFTER_BYTES = 64 * 1024;
/** With XEP-0198: unproven bytes past which an <r/> unanswered for ANSWER_WITHIN_MS ends the stream. */
export const MAX_UNPROVEN_BYTES = 1024 * 1024;
/** How long a question may wait for its answer. */
export const ANSWER_WITHIN_MS = 10_000;
/** Past this many times the bound the stream ends whatever the time (8 MiB: more than
 *  an account's whole offline store, so a login never reaches it by itself). */
export const HARD_FACTOR = 8;

/** The bound for a gateway whose stanzas may be `maxStanzaSize` bytes. */
export function unprovenBound(maxStanzaSize: number): number {
  return Math.max(MAX_UNPROVEN_BYTES, 4 * maxStanzaSize);
}

/** A question whose answer proves that the client read everything written before it. */
export type Question = { kind: "ping"; id: string } | { kind: "sm"; h: number };

/** What the attachment keeps: the unproven count and the open questions, each with how
 *  many of those bytes were written after it and when it was asked. */
export interface ReaderMark {
  unproven: number;
  open: Array<Question & { after: number; since: number }>;
}

const H_HALF = 2 ** 31;

/** Whether wire count `a` is at or before `b` (XEP-0198 counts wrap at 2^32). */
function notAfter(a: number, b: number): boolean {
  return ((b - a + 2 ** 32) % 2 ** 32) < H_HALF;
}

export class ReaderMeter {
  /** Bytes written, and of those proven read, since the meter started. */
  private written: number;
  private proven = 0;
  private open: Array<Question & { at: number; since: number }>;
  /** Stanzas to hand on if the stream is cut, each with the count at its end. */
  private held: Array<{ raw: string; end: number }> = [];

  constructor(readonly bound: number, mark?: ReaderMark) {
    this.written = mark?.unproven ?? 0;
    this.open = (mark?.open ?? []).map(({ after, ...q }) => ({ ...q, at: this.written - after }));
  }

  get unproven(): number {
    return this.written - this.proven;
  }

  /** Whether a stanza of `bytes` may still be written at `now`: not past the hard bound,
   *  not once a ping has waited too long, nor past the bound while an <r/> has. */
  fits(bytes: number, now: number): boolean {
    const after = this.unproven + bytes;
    if (after > this.bound * HARD_FACTOR) return false;
    return !this.open.some((q) => now - q.since > ANSWER_WITHIN_MS && (q.kind === "ping" || after > this.bound));
  }

  /** When the oldest open ping stops being answered in time (a timer's deadline), or null. */
  pingDeadline(): number | null {
    const pings = this.open.filter((q) => q.kind === "ping").map((q) => q.since + ANSWER_WITHIN_MS);
    return pings.length ? Math.min(...pings) : null;
  }

  /** Whether a ping has waited longer than ANSWER_WITHIN_MS at `now`. */
  overdue(now: number): boolean {
    const d = this.pingDeadline();
    return d !== null && now > d;
  }

  /** `bytes` went to the socket; `keep`: a stanza to hand on if the stream is cut. */
  wrote(bytes: number, keep?: string): void {
    this.written += bytes;
    if (keep !== undefined) this.held.push({ raw: keep, end: this.written });
  }

  /** Whether to ask now: enough is unproven and no question of this kind is open. */
  wants(kind: Question["kind"]): boolean {
    return this.unproven >= PROOF_AFTER_BYTES && !this.open.some((q) => q.kind === kind);
  }

  /** A question went out at `now`, after everything written so far. */
  asked(q: Question, now: number): void {
    this.open.push({ ...q, at: this.written, since: now });
  }

  /** An IQ result or error from the client: true when it answers our ping (then it is proof). */
  answered(id: string): boolean {
    const q = this.open.find((x) => x.kind === "ping" && x.id === id);
    if (!q) return false;
    this.open = this.open.filter((x) => x !== q);
    this.prove(q.at);
    return true;
  }

  /** XEP-0198 <a h/> (wire value); `sent`: the wire count of stanzas sent so far. */
  acknowledged(h: number, sent: number): boolean {
    const before = this.proven;
    if (h === sent) {
      this.open = this.open.filter((q) => q.kind !== "sm");
      this.prove(this.written);
    } else {
      const covered = this.open.filter((q) => q.kind === "sm" && notAfter(q.h, h));
      this.open = this.open.filter((q) => !covered.includes(q));
      for (const q of covered) this.prove(q.at);
    }
    return this.proven !== before;
  }

  /** The stanzas written since the last proof (kept ones only), for the stream's end. */
  takeHeld(): string[] {
    const out = this.held.map((h) => h.raw);
    this.held = [];
    return out;
  }

  /** What the attachment keeps (written when a question is asked or answered). */
  mark(): ReaderMark {
    return { unproven: this.unproven, open: this.open.map(({ at, ...q }) => ({ ...q, after: this.written - at })) };
  }

  private prove(upTo: number): void {
    if (upTo <= this.proven) return;
    this.proven = upTo;
    let i = 0;
    while (i < this.held.length && this.held[i]!.end <= upTo) i++;
    if (i) this.held = this.held.slice(i);
  }
}

/** Whether a stanza written to a client is one to hand on if the stream is cut: what
 *  RFC 6121 does something with for an unavailable resource (messages, IQ requests). */
export function worthKeeping(raw: string): boolean {
  if (raw.startsWith("<message")) return !/^<message\b[^>]*\stype=(['"])error\1/.test(raw);
  if (raw.startsWith("<iq")) return /^<iq\b[^>]*\stype=(['"])(get|set)\1/.test(raw);
  return false;
}
