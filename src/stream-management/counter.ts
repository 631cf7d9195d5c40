// XEP-0198 §4: `h` is an unsignedInt that wraps to 0 after 2^32 - 1. The stores keep
// unwrapped totals (safe integers, exact in SQLite's 64-bit INTEGER); only the wire
// value is reduced modulo 2^32, and an incoming `h` is read relative to the last
// acknowledged total, so a wrap in the middle of a session is handled by arithmetic.

export const H_MODULUS = 2 ** 32;

/** The wire value of an unwrapped count. */
export function wireH(total: number): number {
  return total % H_MODULUS;
}

/** Parses an `h` attribute: a decimal xs:unsignedInt (0 … 2^32 - 1), else null. */
export function parseH(value: string | undefined): number | null {
  if (value === undefined || !/^[0-9]{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n < H_MODULUS ? n : null;
}

export type AckReading = { ok: true; acked: number; released: number } | { ok: false; sendCount: number };

/**
 * Reads an acknowledgement `h` (wire value) against the unwrapped totals of stanzas
 * acknowledged so far and sent: the new acknowledged total and how many stanzas it
 * releases, or not ok when `h` acknowledges more than was sent (compared modulo 2^32).
 * An `h` below the last acknowledgement reads as a wrap past everything sent, so it
 * is too high too: acknowledgements never go backwards.
 */
export function readAck(h: number, acked: number, sent: number): AckReading {
  const released = (h - wireH(acked) + H_MODULUS) % H_MODULUS;
  if (released > sent - acked) return { ok: false, sendCount: wireH(sent) };
  return { ok: true, acked: acked + released, released };
}
