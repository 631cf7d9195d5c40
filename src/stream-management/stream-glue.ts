// The thin layer between a client stream and the SM store: what the connection object
// does with an XEP-0198 nonza, and what it does before writing a stanza to the socket.
// Synchronous over the store, so each call is one atomic step of the object; the
// caller performs the returned action (send, close, ask the account to resume).
import { type Element, streamError } from "../xml/stanza";
import type { StreamManagementConfig } from "./config";
import { answerRequest, ackRequest, failed, handledCountTooHigh, onEnable, parseResume, resumeAllowed } from "./protocol";
import { nextAckCheck, shouldRequestAck } from "./ack-policy";
import { parseH, wireH } from "./counter";
import { newSmId } from "./session-id";
import type { SmSession, SmStore } from "./session-store";

/** What the stream knows when a nonza arrives (from the socket attachment). */
export interface SmStreamView {
  account: string;
  /** The bound resource, null before bind. */
  resource: string | null;
  /** This connection object's id. */
  connection: string;
  /** The SM session of this stream, null while SM is off. */
  smId: string | null;
}

export type SmAction =
  /** Send `reply`. With `enabled`, SM is now on: keep its id in the attachment, and
   *  register a resumable one in the account's directory. */
  | { kind: "reply"; reply: Element; enabled?: SmSession }
  /** Send nothing (with `acked`: an acknowledgement was taken in, h as on the wire, and
   *  `sent` the wire count of stanzas sent so far). */
  | { kind: "none"; acked?: { h: number; sent: number } }
  /** End the stream with this stream error. */
  | { kind: "close"; error: Element }
  /** Ask the account to resume `previd` with `h` (docs/stream-management.md, resumption). */
  | { kind: "resume"; previd: string; h: number };

export function onSmNonza(store: SmStore, view: SmStreamView, el: Element, cfg: StreamManagementConfig, now: number): SmAction {
  const ctx = { bound: view.resource !== null, enabled: view.smId !== null };
  switch (el.name) {
    case "enable": {
      const out = onEnable(ctx, el, cfg.resumeWindow, newSmId);
      if (out.kind === "failed") return { kind: "reply", reply: out.reply };
      const session = store.create(
        { account: view.account, resource: view.resource!, connection: view.connection, resumable: out.resumable, resumeWindow: cfg.resumeWindow, maxQueue: cfg.maxQueue },
        out.id ?? newSmId(),
      );
      return { kind: "reply", reply: out.reply, enabled: session };
    }
    case "r": {
      const s = view.smId === null ? null : store.get(view.smId);
      // §4 allows <r/> only once SM is on; before, it is an unexpected request.
      if (!s) return { kind: "reply", reply: failed("unexpected-request") };
      return { kind: "reply", reply: answerRequest(s.handledIn) };
    }
    case "a": {
      if (view.smId === null) return { kind: "none" }; // nothing was counted: nothing to release
      const h = parseH(el.attrs.h);
      if (h === null) return { kind: "close", error: streamError("bad-format", "<a/> needs an h attribute (0 to 4294967295)") };
      const r = store.ack(view.smId, h);
      if (r.kind === "too-high") return { kind: "close", error: handledCountTooHigh(r.h, r.sendCount) };
      const after = r.kind === "ack" ? store.get(view.smId) : null;
      return after ? { kind: "none", acked: { h, sent: wireH(after.sent) } } : { kind: "none" };
    }
    case "resume": {
      if (!resumeAllowed(ctx)) return { kind: "reply", reply: failed("unexpected-request") };
      const req = parseResume(el);
      if (!req.ok) return { kind: "reply", reply: req.reply };
      return { kind: "resume", previd: req.previd, h: req.h };
    }
    default:
      // <enabled/>, <resumed/>, <failed/> are the server's; anything else is unknown.
      return { kind: "close", error: streamError("unsupported-stanza-type", `<${el.name}/> is not expected from a client`) };
  }
}

export type SendAction =
  /** Write the stanza (the `h`-th sent, wire value); then an <r/> when `requestAck`. */
  | { kind: "send"; h: number; requestAck: Element | null }
  /** Past max_queue: end the stream with resource-constraint and end the session (its
   *  held messages and this stanza go where RFC 6121 sends them: docs/stream-management.md). */
  | { kind: "overflow"; error: Element };

/**
 * Before a stanza is written to the socket of a stream with SM on: count it and keep it
 * (the output gate holds the write until this is durable), and say whether to ask for
 * an acknowledgement now (./ack-policy.ts; `askNow`: the connection wants a proof that
 * the client reads, src/stream/reader-proof.ts, so one is asked if none is outstanding).
 */
export function beforeSend(store: SmStore, smId: string, stanza: string, now: number, askNow = false): SendAction {
  const e = store.enqueue(smId, stanza, now, true);
  if (!e.ok) return { kind: "overflow", error: streamError("resource-constraint", "too many unacknowledged stanzas") };
  // By count only: the age of the oldest stanza is the alarm's to check (onSmAlarm), which
  // saves a read per stanza on the hot path.
  const policy = shouldRequestAck({ unacked: e.unacked, oldestUnackedAt: null, requestedAt: e.requestedAt }, now);
  if (!policy && !(askNow && e.requestedAt === null)) return { kind: "send", h: e.h, requestAck: null };
  store.markRequested(smId, now);
  return { kind: "send", h: e.h, requestAck: ackRequest() };
}

export interface AlarmAction {
  /** An <r/> to write now (the oldest stanza waited too long). */
  requestAck: Element | null;
  /** The session was found without a socket (a restart gives no event) and is now detached. */
  detached: boolean;
  /** Sessions whose window has passed: end them as docs/stream-management.md §4.6 says. */
  expired: string[];
  /** When to set the object's alarm next (ms), null for none. */
  next: number | null;
}

/**
 * The connection object's alarm, for SM: time-based ack requests while the socket is
 * there, detection of a socket lost without an event, and expiry of detached sessions.
 */
export function onSmAlarm(store: SmStore, smId: string | null, hasSocket: boolean, now: number): AlarmAction {
  let requestAck: Element | null = null;
  let detached = false;
  const s = smId === null ? null : store.get(smId);
  if (s && !hasSocket && s.detachedSince === null && s.resumable) {
    store.detach(s.id, now);
    detached = true;
  } else if (s && hasSocket && shouldRequestAck(store.policyView(s.id), now)) {
    store.markRequested(s.id, now);
    requestAck = ackRequest();
  }
  const expired = store.dueIds(now);
  // The sessions due now are the caller's to end; the next alarm is the next deadline after now.
  const ackAt = s && hasSocket ? nextAckCheck(store.policyView(s.id)) : null;
  const times = [store.nextExpiry(now), ackAt !== null && ackAt > now ? ackAt : null].filter((t): t is number => t !== null);
  return { requestAck, detached, expired, next: times.length ? Math.min(...times) : null };
}
