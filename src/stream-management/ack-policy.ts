// When the server asks the client for an acknowledgement on its own (XEP-0198 §4:
// "the server MAY request acks at any time"), so that its durable queue is trimmed.
//
// Like Prosody's mod_smacks, at most one request is outstanding at a time, and a
// request goes out once enough stanzas wait or the oldest has waited long enough:
// - ACK_REQUEST_EVERY = 10 stanzas: each <r/> costs the client one <a/> frame and us
//   one inbound frame and one DELETE of the released rows; batching 10 keeps that
//   under 10% extra frames in a chat burst while the queue stays short (≤ ~2×10 rows).
// - ACK_REQUEST_AFTER_MS = 30 s: a quiet session still gets its tail acknowledged
//   (checked on the next send or on the connection object's alarm); the same figure
//   as mod_smacks' smacks_max_ack_delay. An outstanding request older than this may
//   be repeated (the first <r/> or its <a/> may have been lost with a socket).

export const ACK_REQUEST_EVERY = 10;
export const ACK_REQUEST_AFTER_MS = 30_000;

export interface AckPolicyView {
  /** Stanzas sent and not acknowledged. */
  unacked: number;
  /** When the oldest of them was sent (ms), null when there are none. */
  oldestUnackedAt: number | null;
  /** When the last unanswered <r/> went out (ms), null when none is outstanding. */
  requestedAt: number | null;
}

export function shouldRequestAck(v: AckPolicyView, now: number): boolean {
  if (v.unacked === 0) return false;
  if (v.requestedAt !== null && now - v.requestedAt < ACK_REQUEST_AFTER_MS) return false;
  if (v.unacked >= ACK_REQUEST_EVERY) return true;
  return v.oldestUnackedAt !== null && now - v.oldestUnackedAt >= ACK_REQUEST_AFTER_MS;
}

/** When the policy would next ask by time alone (for an alarm), or null. */
export function nextAckCheck(v: AckPolicyView): number | null {
  if (v.unacked === 0 || v.oldestUnackedAt === null) return null;
  const byAge = v.oldestUnackedAt + ACK_REQUEST_AFTER_MS;
  return v.requestedAt === null ? byAge : Math.max(byAge, v.requestedAt + ACK_REQUEST_AFTER_MS);
}
