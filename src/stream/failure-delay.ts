// How long an answer to a failed login or component handshake waits, given the recent
// failures from the same address (or for the same account): nothing below the
// threshold, then 1 s, 2 s, 4 s, capped at MAX_FAILURE_DELAY_MS, so guessing is slow.
// The connection's object is busy meanwhile, which only slows down that connection.

/** The longest delay before one answer. */
export const MAX_FAILURE_DELAY_MS = 5000;

export function throttleDelayMs(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  return Math.min(MAX_FAILURE_DELAY_MS, 1000 * 2 ** Math.min(5, failures - threshold));
}

/** Waits the delay for `failures` (no timer at all below the threshold). */
export async function delayAfterFailures(failures: number, threshold: number): Promise<void> {
  const ms = throttleDelayMs(failures, threshold);
  if (ms) await new Promise((r) => setTimeout(r, ms));
}
