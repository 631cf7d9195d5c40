// XEP-0198 v1.6 (urn:xmpp:sm:3) as stanza-in, stanza-out functions. They hold no
// state: the caller passes the counters (from the session store) and applies the outcome.
//
// References (https://xmpp.org/extensions/xep-0198.html, v1.6):
//   §2 stream feature; §3 enabling (enable / enabled / failed); §4 acking (r / a,
//   handled-count-too-high); §5 resumption (resume / resumed / failed item-not-found);
//   §6 error handling (unexpected-request when enabled twice or before bind).
import { type Element, streamError, xml } from "../xml/stanza";
import { NS } from "../xml/namespaces";
import { NS_SM } from "./namespace";
import { parseH, readAck, wireH } from "./counter";

/** §2: offered among the stream features after SASL (with bind). */
export function smFeature(): Element {
  return xml("sm", { xmlns: NS_SM });
}

export type SmFailure = "unexpected-request" | "item-not-found" | "bad-request" | "feature-not-implemented";

/** `<failed/>` with a stanza error condition, and `h` when the server's count is known (§5, §6). */
export function failed(condition: SmFailure, h?: number): Element {
  const attrs: Record<string, string> = { xmlns: NS_SM };
  if (h !== undefined) attrs.h = String(wireH(h));
  return xml("failed", attrs, xml(condition, { xmlns: NS.stanzaErrors }));
}

/** §3: the parts of the stream that decide whether `<enable/>` may succeed. */
export interface EnableContext {
  /** A resource is bound (§3: enable before bind is unexpected-request). */
  bound: boolean;
  /** SM is already on for this stream (enabled, or resumed). */
  enabled: boolean;
}

export type EnableOutcome =
  | { kind: "enabled"; reply: Element; resumable: boolean; id: string | null }
  | { kind: "failed"; reply: Element };

/** Whether `<enable/>` asks for resumption: resume='true' or '1' (xs:boolean). */
export function wantsResume(enable: Element): boolean {
  return enable.attrs.resume === "true" || enable.attrs.resume === "1";
}

/**
 * §3: `<enable resume?/>`. Answered `<enabled/>`, with `id`, resume='true' and `max`
 * (the resumption window in seconds; the client's own `max` is a preference the
 * XEP lets the server override, and the configured window is kept as the contract says)
 * when resumption was asked for. `newId` is called only then.
 */
export function onEnable(ctx: EnableContext, enable: Element, resumeWindow: number, newId: () => string): EnableOutcome {
  if (!ctx.bound || ctx.enabled) return { kind: "failed", reply: failed("unexpected-request") };
  if (!wantsResume(enable)) return { kind: "enabled", reply: xml("enabled", { xmlns: NS_SM }), resumable: false, id: null };
  const id = newId();
  const reply = xml("enabled", { xmlns: NS_SM, id, resume: "true", max: String(resumeWindow) });
  return { kind: "enabled", reply, resumable: true, id };
}

/** §4: `<r/>` is answered with the count of stanzas handled from the client. */
export function answerRequest(handledIn: number): Element {
  return xml("a", { xmlns: NS_SM, h: String(wireH(handledIn)) });
}

/** §4: the server's own request for an acknowledgement. */
export function ackRequest(): Element {
  return xml("r", { xmlns: NS_SM });
}

/**
 * §4 example: the stream error for an `h` above what was sent:
 * `<stream:error><undefined-condition/><handled-count-too-high h='10' send-count='8'/></stream:error>`.
 */
export function handledCountTooHigh(h: number, sendCount: number): Element {
  const err = streamError("undefined-condition");
  err.c("handled-count-too-high", { xmlns: NS_SM, h: String(h), "send-count": String(wireH(sendCount)) });
  return err;
}

export type AckOutcome =
  | { kind: "ack"; acked: number; released: number }
  /** The stream ends with this stream error. */
  | { kind: "stream-error"; error: Element };

/**
 * §4: the client's `<a h/>` against the unwrapped totals acknowledged and sent. A
 * missing or malformed `h` is a bad-format stream error (RFC 6120 §4.9.3.1); an `h`
 * above the send count is the XEP's handled-count-too-high.
 */
export function onAck(a: Element, acked: number, sent: number): AckOutcome {
  const h = parseH(a.attrs.h);
  if (h === null) return { kind: "stream-error", error: streamError("bad-format", "<a/> needs an h attribute (0 to 4294967295)") };
  const r = readAck(h, acked, sent);
  if (!r.ok) return { kind: "stream-error", error: handledCountTooHigh(h, r.sendCount) };
  return { kind: "ack", acked: r.acked, released: r.released };
}

export type ResumeRequest = { ok: true; previd: string; h: number } | { ok: false; reply: Element };

/** §5: parses `<resume previd h/>`; both attributes are required (failed bad-request otherwise). */
export function parseResume(resume: Element): ResumeRequest {
  const previd = resume.attrs.previd;
  const h = parseH(resume.attrs.h);
  if (typeof previd !== "string" || previd === "" || h === null) return { ok: false, reply: failed("bad-request") };
  return { ok: true, previd, h };
}

/** §5: `<resumed previd h/>`, h the count of stanzas the server handled from the client. */
export function resumed(previd: string, handledIn: number): Element {
  return xml("resumed", { xmlns: NS_SM, previd, h: String(wireH(handledIn)) });
}

/**
 * §5 and §3: where `<resume/>` may come. Only after SASL and before bind: on a
 * bound stream (or one with SM on) it is unexpected-request.
 */
export function resumeAllowed(ctx: EnableContext): boolean {
  return !ctx.bound && !ctx.enabled;
}
