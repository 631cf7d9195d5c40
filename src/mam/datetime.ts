// XEP-0082 DateTime profile: CCYY-MM-DDThh:mm:ss[.sss]TZD, TZD being Z or ±hh:mm.
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, or null when `s` is not a valid XEP-0082 DateTime. */
export function parseDateTime(s: string): number | null {
  const m = DATETIME.exec(s.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as
    [number, number, number, number, number, number];
  if (hour > 23 || minute > 59 || second > 59) return null;
  // Date.parse rolls 2010-02-30 over to March: check the day exists in its month.
  if (month < 1 || month > 12 || day < 1 || new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null;
  const ms = Date.parse(s.trim());
  return Number.isNaN(ms) ? null : ms;
}

/** A XEP-0082 DateTime in UTC with milliseconds, as used in delay stamps. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}
