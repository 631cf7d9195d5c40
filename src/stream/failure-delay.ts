// How long an answer to a failed login or component handshake waits, given the recent
// failures from the same address (or for the same account): nothing below the
// threshold, then 1 s, 2 s, 4 s, capped at MAX_FAILURE_DELAY_MS, so guessing is slow.
// The counting and the queueing happen in the ThrottleObject of the key (an address, an
// account), so parallel connections do not get around it; the connection's object waits.

/** The longest delay before one answer. */
export const MAX_FAILURE_DELAY_MS = 5000;

export function throttleDelayMs(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  return Math.min(MAX_FAILURE_DELAY_MS, 1000 * 2 ** Math.min(5, failures - threshold));
}

/** The longest one answer waits when many failures queue up on one key. */
export const MAX_FAILURE_WAIT_MS = 30_000;

/** Waits `ms` (no timer at all for 0). */
export async function wait(ms: number): Promise<void> {
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}
