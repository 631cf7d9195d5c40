// Small checks the configuration schema is built from: key paths for messages, type
// checks that throw a ConfigError naming the key, and the names a configuration holds
// (domains, component JIDs, privileged entities, namespaces).
//
// References: RFC 7622 §3.2 (domainpart: lower-case, trailing dot stripped), §3.3
// (localpart, checked by the JID module); RFC 1035 §2.3.1 / RFC 1123 §2.1 (labels).
import { ConfigError } from "./types";
import { parseJid } from "../jid/jid";

// ---------------------------------------------------------------------------
// Key paths and small type checks

export type Table = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A schema key: `.name` (brackets if it is not a plain identifier, e.g. an unknown key). */
export function field(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A map entry (domain, JID, namespace): always `["..."]`. */
export function entry(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** Shown in messages about XMPP_CONFIG values (never used for secrets). */
export function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return kindOf(value);
}

export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function table(value: unknown, path: string): Table {
  if (!isTable(value)) {
    throw new ConfigError(path, `must be an object (a TOML table), got ${kindOf(value)}`);
  }
  return value;
}

export function onlyKeys(t: Table, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(t)) {
    if (!allowed.includes(key)) {
      const expected =
        allowed.length === 0
          ? "no options are defined here yet"
          : `expected one of: ${allowed.join(", ")}`;
      throw new ConfigError(field(path, key), `unknown key (${expected})`);
    }
  }
}

export function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) {
    return value as T;
  }
  const choices = allowed.map((a) => JSON.stringify(a)).join(", ");
  throw new ConfigError(path, `must be one of ${choices} (got ${show(value)})`);
}

export function boolean(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") {
    throw new ConfigError(path, `must be true or false (got ${show(value)})`);
  }
  return value;
}

export function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new ConfigError(path, `must be an integer (got ${show(value)})`);
  }
  if (value < min || value > max) {
    throw new ConfigError(path, `must be between ${min} and ${max} (got ${value})`);
  }
  return value;
}

/** A map with a null prototype, so lookups by untrusted names never hit Object.prototype. */
export function record<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Table)[key]);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Names: domains, bare JIDs, namespaces

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export type Checked = { ok: true; value: string } | { ok: false; reason: string };

/** Lower-cases and checks a domain name; one trailing dot is stripped (RFC 7622 §3.2). */
export function checkDomain(raw: string): Checked {
  let domain = raw.toLowerCase();
  if (domain.endsWith(".")) domain = domain.slice(0, -1);
  const bad: Checked = {
    ok: false,
    reason:
      "is not a valid domain name (dot-separated labels of letters, digits and hyphens, e.g. \"localhost\" or \"pubsub.example.org\")",
  };
  if (domain.length === 0 || domain.length > 253) return bad;
  for (const label of domain.split(".")) {
    if (!LABEL.test(label)) return bad;
  }
  return { ok: true, value: domain };
}

/** A component JID: a domain, and nothing but a domain. */
export function checkComponentJid(raw: string): Checked {
  if (raw.includes("@") || raw.includes("/")) {
    return { ok: false, reason: "must be a component JID (a bare domain, no \"@\" or \"/\")" };
  }
  return checkDomain(raw);
}

export type Entity =
  | { ok: true; kind: "component"; jid: string }
  | { ok: true; kind: "user"; jid: string; domain: string }
  | { ok: false; reason: string };

/** A privileged entity: a component domain or a user's bare `local@domain`. */
export function checkEntity(raw: string): Entity {
  if (raw.includes("/")) {
    return { ok: false, reason: "must be a bare JID or a component domain (no resource)" };
  }
  const at = raw.indexOf("@");
  if (at < 0) {
    const d = checkDomain(raw);
    return d.ok ? { ok: true, kind: "component", jid: d.value } : d;
  }
  const local = raw.slice(0, at);
  const d = checkDomain(raw.slice(at + 1));
  if (!d.ok) return d;
  // The JID module's own rules (RFC 7622 §3.3), so the configuration and the wire agree.
  const jid = local.length > 0 ? parseJid(`${local}@${d.value}`) : null;
  if (!jid || jid.resource || jid.local.length === 0) return { ok: false, reason: "is not a valid bare JID (bad localpart)" };
  return { ok: true, kind: "user", jid: jid.bare, domain: d.value };
}

/** Namespaces (and filtering attribute names) are compared as exact strings. */
export function checkName(raw: string, what: string): string | null {
  if (raw.length === 0) return `${what} must be a non-empty string`;
  if (/\s/u.test(raw)) return `${what} must not contain white space`;
  return null;
}

