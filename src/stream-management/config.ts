// The `stream_management` member of XMPP_CONFIG (CONTRACT.md "Sessions that survive"):
//   resume_window  seconds a detached resumable session is kept (default 300)
//   max_queue      unacknowledged stanzas kept per session (default 500, as mod_smacks)
// A pure function, so src/config/parse.ts can plug it in: it returns the values or the
// ConfigError naming the bad key (the caller throws it, as parse.ts does for its own keys).
import { ConfigError } from "../config/types";

export interface StreamManagementConfig {
  /** Seconds a resumable session outlives its socket (`max` in `<enabled/>`). */
  resumeWindow: number;
  /** Bound of the unacknowledged queue; past it the stream ends with resource-constraint. */
  maxQueue: number;
}

export const DEFAULT_STREAM_MANAGEMENT: Readonly<StreamManagementConfig> = Object.freeze({ resumeWindow: 300, maxQueue: 500 });

const KEYS = ["resume_window", "max_queue"] as const;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
}

function positiveInteger(value: unknown, path: string): number | ConfigError {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    return new ConfigError(path, `must be a positive whole number (got ${describe(value)})`);
  }
  return value;
}

/**
 * Parses `raw` (XMPP_CONFIG.stream_management, possibly absent). `path` is the key's
 * full name as error messages show it.
 */
export function parseStreamManagement(raw: unknown, path = "XMPP_CONFIG.stream_management"): StreamManagementConfig | ConfigError {
  if (raw === undefined) return { ...DEFAULT_STREAM_MANAGEMENT };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return new ConfigError(path, `must be an object (a TOML table), got ${raw === null ? "null" : Array.isArray(raw) ? "an array" : `a ${typeof raw}`}`);
  }
  const t = raw as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      return new ConfigError(name, `unknown key (expected one of: ${KEYS.join(", ")})`);
    }
  }
  const out: StreamManagementConfig = { ...DEFAULT_STREAM_MANAGEMENT };
  if (t.resume_window !== undefined) {
    const v = positiveInteger(t.resume_window, `${path}.resume_window`);
    if (v instanceof ConfigError) return v;
    out.resumeWindow = v;
  }
  if (t.max_queue !== undefined) {
    const v = positiveInteger(t.max_queue, `${path}.max_queue`);
    if (v instanceof ConfigError) return v;
    out.maxQueue = v;
  }
  return out;
}
