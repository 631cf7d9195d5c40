// Parse and validate the Worker environment into a frozen GatewayConfig.
//
// Errors name the exact key path, with map entries in brackets so dots inside JIDs stay
// unambiguous: XMPP_CONFIG.hosts["localhost"].privileged_entities["pubsub.localhost"].presence
// The first problem found is reported; a bad configuration is never half-applied.
//
// References:
//   CONTRACT.md "Configuration"
//   RFC 7622 §3.2 (domainpart: lower-case, trailing dot stripped), §3.3 (localpart forbidden chars)
//   RFC 1035 §2.3.1 / RFC 1123 §2.1 (letters-digits-hyphens labels, 63/253 octets)
//   XEP-0356 §Server roster (push default and "MUST NOT push for none/set"),
//            §Roster presence ("roster" presence needs roster get/both, else not granted)
//   XEP-0355 §Business rules 5 (urn:xmpp:delegation:2 MUST NOT be delegated),
//            §Security 2 (client_delegation: the namespaces users may delegate)

import {
  ConfigError,
  type ComponentConfig,
  type Delegation,
  type GatewayConfig,
  type GatewayEnvVars,
  type HostConfig,
  type IqAccess,
  type Limits,
  type MessageAccess,
  type PresenceAccess,
  type PrivilegeGrant,
  type RosterAccess,
} from "./types";
import { clientNamespaceProblem } from "./client-delegation";

const ROSTER_ACCESS: readonly RosterAccess[] = ["none", "get", "set", "both"];
const MESSAGE_ACCESS: readonly MessageAccess[] = ["none", "outgoing"];
const PRESENCE_ACCESS: readonly PresenceAccess[] = ["none", "managed_entity", "roster"];
const IQ_ACCESS: readonly IqAccess[] = ["none", "get", "set", "both"];

const DELEGATION_NS = "urn:xmpp:delegation:2";

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxStanzaSize: 262144,
  ratePerSecond: 50,
  burst: 200,
  authFailuresBeforeDelay: 3,
});
export const DEFAULT_DELEGATION_TIMEOUT_MS = 30000;

// ---------------------------------------------------------------------------
// Key paths and small type checks

type Table = Record<string, unknown>;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A schema key: `.name` (brackets if it is not a plain identifier, e.g. an unknown key). */
function field(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A map entry (domain, JID, namespace): always `["..."]`. */
function entry(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** Shown in messages about XMPP_CONFIG values (never used for secrets). */
function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return kindOf(value);
}

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function table(value: unknown, path: string): Table {
  if (!isTable(value)) {
    throw new ConfigError(path, `must be an object (a TOML table), got ${kindOf(value)}`);
  }
  return value;
}

function onlyKeys(t: Table, path: string, allowed: readonly string[]): void {
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

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) {
    return value as T;
  }
  const choices = allowed.map((a) => JSON.stringify(a)).join(", ");
  throw new ConfigError(path, `must be one of ${choices} (got ${show(value)})`);
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") {
    throw new ConfigError(path, `must be true or false (got ${show(value)})`);
  }
  return value;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new ConfigError(path, `must be an integer (got ${show(value)})`);
  }
  if (value < min || value > max) {
    throw new ConfigError(path, `must be between ${min} and ${max} (got ${value})`);
  }
  return value;
}

/** A map with a null prototype, so lookups by untrusted names never hit Object.prototype. */
function record<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Table)[key]);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Names: domains, bare JIDs, namespaces

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 7622 §3.3.1: characters a localpart must not contain (plus spaces and controls).
const LOCALPART_FORBIDDEN = /[\s"&'/:<>@\u0000-\u001f\u007f]/u;

type Checked = { ok: true; value: string } | { ok: false; reason: string };

/** Lower-cases and checks a domain name; one trailing dot is stripped (RFC 7622 §3.2). */
function checkDomain(raw: string): Checked {
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
function checkComponentJid(raw: string): Checked {
  if (raw.includes("@") || raw.includes("/")) {
    return { ok: false, reason: "must be a component JID (a bare domain, no \"@\" or \"/\")" };
  }
  return checkDomain(raw);
}

type Entity =
  | { ok: true; kind: "component"; jid: string }
  | { ok: true; kind: "user"; jid: string; domain: string }
  | { ok: false; reason: string };

/** A privileged entity: a component domain or a user's bare `local@domain`. */
function checkEntity(raw: string): Entity {
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
  if (
    local.length === 0 ||
    new TextEncoder().encode(local).length > 1023 ||
    LOCALPART_FORBIDDEN.test(local)
  ) {
    return { ok: false, reason: "is not a valid bare JID (bad localpart)" };
  }
  // Localparts are case-folded like the rest of the server does (PRECIS UsernameCaseMapped).
  return { ok: true, kind: "user", jid: `${local.toLowerCase()}@${d.value}`, domain: d.value };
}

/** Namespaces (and filtering attribute names) are compared as exact strings. */
function checkName(raw: string, what: string): string | null {
  if (raw.length === 0) return `${what} must be a non-empty string`;
  if (/\s/u.test(raw)) return `${what} must not contain white space`;
  return null;
}

// ---------------------------------------------------------------------------
// XMPP_CONFIG sections

interface Context {
  hosts: ReadonlySet<string>;
  components: ReadonlySet<string>;
}

const TOP_KEYS = ["hosts", "components", "limits", "delegation_timeout_ms", "web_client"] as const;
const HOST_KEYS = ["registration", "privileged_entities", "delegations", "client_delegation"] as const;
const GRANT_KEYS = ["roster", "push", "message", "presence", "iq"] as const;
const DELEGATION_KEYS = ["jid", "filtering"] as const;
const LIMIT_KEYS = ["max_stanza_size", "rate_per_second", "burst", "auth_failures_before_delay"];

/** Normalises the keys of a map of domains, refusing invalid and duplicate ones. */
function domainKeys(
  t: Table,
  path: string,
  check: (raw: string) => Checked,
): Array<{ raw: string; name: string; path: string }> {
  const seen = new Map<string, string>();
  const out: Array<{ raw: string; name: string; path: string }> = [];
  for (const raw of Object.keys(t)) {
    const p = entry(path, raw);
    const c = check(raw);
    if (!c.ok) throw new ConfigError(p, c.reason);
    const first = seen.get(c.value);
    if (first !== undefined) {
      throw new ConfigError(p, `names the same domain as ${entry(path, first)}`);
    }
    seen.set(c.value, raw);
    out.push({ raw, name: c.value, path: p });
  }
  return out;
}

function parseComponents(value: unknown, path: string, hosts: ReadonlySet<string>) {
  const list = value === undefined ? [] : domainKeys(table(value, path), path, checkComponentJid);
  for (const c of list) {
    if (hosts.has(c.name)) {
      throw new ConfigError(c.path, "is also a configured host; a component needs its own domain");
    }
    onlyKeys(table((value as Table)[c.raw], c.path), c.path, []);
  }
  return list.map((c) => c.name);
}

function parseGrant(entity: string, raw: unknown, path: string): PrivilegeGrant {
  const t = table(raw, path);
  onlyKeys(t, path, GRANT_KEYS);
  const roster = t.roster === undefined ? "none" : oneOf(t.roster, field(path, "roster"), ROSTER_ACCESS);
  const readsRoster = roster === "get" || roster === "both";
  let push = readsRoster; // XEP-0356 §Server roster: default true for get/both, false otherwise
  if (t.push !== undefined) {
    push = boolean(t.push, field(path, "push"));
    if (push && !readsRoster) {
      throw new ConfigError(
        field(path, "push"),
        `true needs roster access "get" or "both" (XEP-0356 §Server roster: no pushes for "${roster}")`,
      );
    }
  }
  const message =
    t.message === undefined ? "none" : oneOf(t.message, field(path, "message"), MESSAGE_ACCESS);
  const presence =
    t.presence === undefined ? "none" : oneOf(t.presence, field(path, "presence"), PRESENCE_ACCESS);
  if (presence === "roster" && !readsRoster) {
    throw new ConfigError(
      field(path, "presence"),
      `"roster" needs roster access "get" or "both" (XEP-0356 §Roster presence)`,
    );
  }
  const iq = record<IqAccess>();
  if (t.iq !== undefined) {
    const iqPath = field(path, "iq");
    const iqTable = table(t.iq, iqPath);
    for (const ns of Object.keys(iqTable)) {
      const nsPath = entry(iqPath, ns);
      const bad = checkName(ns, "a namespace");
      if (bad) throw new ConfigError(nsPath, bad);
      iq[ns] = oneOf(iqTable[ns], nsPath, IQ_ACCESS);
    }
  }
  return { entity, roster, push, message, presence, iq };
}

function parseDelegation(namespace: string, raw: unknown, path: string, ctx: Context): Delegation {
  const bad = checkName(namespace, "a namespace");
  if (bad) throw new ConfigError(path, bad);
  if (namespace === DELEGATION_NS) {
    throw new ConfigError(
      path,
      `${DELEGATION_NS} itself MUST NOT be delegated (XEP-0355 §Business rules)`,
    );
  }
  const t = table(raw, path);
  onlyKeys(t, path, DELEGATION_KEYS);

  const jidPath = field(path, "jid");
  if (t.jid === undefined) throw new ConfigError(jidPath, "is required (the managing component's JID)");
  if (typeof t.jid !== "string") {
    throw new ConfigError(jidPath, `must be a string (got ${show(t.jid)})`);
  }
  const jid = checkComponentJid(t.jid);
  if (!jid.ok) throw new ConfigError(jidPath, jid.reason);
  if (!ctx.components.has(jid.value)) {
    throw new ConfigError(jidPath, `${JSON.stringify(jid.value)} is not a configured component`);
  }

  const filtering: string[] = [];
  if (t.filtering !== undefined) {
    const fPath = field(path, "filtering");
    if (!Array.isArray(t.filtering)) {
      throw new ConfigError(fPath, `must be an array of attribute names (got ${show(t.filtering)})`);
    }
    t.filtering.forEach((attr: unknown, i: number) => {
      const aPath = `${fPath}[${i}]`;
      if (typeof attr !== "string") {
        throw new ConfigError(aPath, `must be a string (got ${show(attr)})`);
      }
      const badAttr = checkName(attr, "an attribute name");
      if (badAttr) throw new ConfigError(aPath, badAttr);
      if (filtering.includes(attr)) {
        throw new ConfigError(aPath, `duplicate attribute ${JSON.stringify(attr)}`);
      }
      filtering.push(attr);
    });
  }
  return { namespace, jid: jid.value, filtering };
}

/** hosts.H.client_delegation: the XEP-0355 client-mode allowlist (default: none, mode off). */
function parseClientDelegation(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new ConfigError(path, `must be an array of namespaces (got ${show(value)})`);
  }
  const out: string[] = [];
  value.forEach((ns: unknown, i: number) => {
    const nsPath = `${path}[${i}]`;
    if (typeof ns !== "string") throw new ConfigError(nsPath, `must be a string (got ${show(ns)})`);
    const problem = clientNamespaceProblem(ns);
    if (problem) throw new ConfigError(nsPath, problem.reason);
    if (out.includes(ns)) throw new ConfigError(nsPath, `duplicate namespace ${JSON.stringify(ns)}`);
    out.push(ns);
  });
  return out;
}

function parseHost(domain: string, raw: unknown, path: string, ctx: Context): HostConfig {
  const t = table(raw, path);
  onlyKeys(t, path, HOST_KEYS);
  const registration =
    t.registration === undefined ? false : boolean(t.registration, field(path, "registration"));

  const privileged = record<PrivilegeGrant>();
  if (t.privileged_entities !== undefined) {
    const pPath = field(path, "privileged_entities");
    const pTable = table(t.privileged_entities, pPath);
    const seen = new Map<string, string>();
    for (const key of Object.keys(pTable)) {
      const ePath = entry(pPath, key);
      const e = checkEntity(key);
      if (!e.ok) throw new ConfigError(ePath, e.reason);
      if (e.kind === "component" && !ctx.components.has(e.jid)) {
        throw new ConfigError(ePath, "is not a configured component (add it to XMPP_CONFIG.components)");
      }
      if (e.kind === "user" && !ctx.hosts.has(e.domain)) {
        throw new ConfigError(ePath, `is not an account of a configured host (${JSON.stringify(e.domain)})`);
      }
      const first = seen.get(e.jid);
      if (first !== undefined) {
        throw new ConfigError(ePath, `names the same entity as ${entry(pPath, first)}`);
      }
      seen.set(e.jid, key);
      privileged[e.jid] = parseGrant(e.jid, pTable[key], ePath);
    }
  }

  const delegations = record<Delegation>();
  if (t.delegations !== undefined) {
    const dPath = field(path, "delegations");
    const dTable = table(t.delegations, dPath);
    for (const ns of Object.keys(dTable)) {
      delegations[ns] = parseDelegation(ns, dTable[ns], entry(dPath, ns), ctx);
    }
  }
  const clientDelegation = parseClientDelegation(t.client_delegation, field(path, "client_delegation"));
  return { domain, registration, privileged, delegations, clientDelegation };
}

function parseLimits(value: unknown, path: string): Limits {
  if (value === undefined) return { ...DEFAULT_LIMITS };
  const t = table(value, path);
  onlyKeys(t, path, LIMIT_KEYS);
  const limits: Limits = { ...DEFAULT_LIMITS };
  if (t.max_stanza_size !== undefined) {
    limits.maxStanzaSize = integer(t.max_stanza_size, field(path, "max_stanza_size"), 1024, 16777216);
  }
  if (t.rate_per_second !== undefined) {
    const p = field(path, "rate_per_second");
    const v = t.rate_per_second;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new ConfigError(p, `must be a number greater than 0 (got ${show(v)})`);
    }
    limits.ratePerSecond = v;
  }
  if (t.burst !== undefined) {
    limits.burst = integer(t.burst, field(path, "burst"), 1, Number.MAX_SAFE_INTEGER);
  }
  if (t.auth_failures_before_delay !== undefined) {
    limits.authFailuresBeforeDelay = integer(
      t.auth_failures_before_delay,
      field(path, "auth_failures_before_delay"),
      0,
      Number.MAX_SAFE_INTEGER,
    );
  }
  return limits;
}

function parseXmppConfig(value: unknown): Omit<GatewayConfig, "adminToken"> {
  const root = "XMPP_CONFIG";
  let raw = value;
  if (raw === undefined || raw === null || raw === "") {
    throw new ConfigError(root, "is not set (a TOML table in wrangler.toml [vars], or a JSON string)");
  }
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch (e) {
      throw new ConfigError(root, `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const t = table(raw, root);
  onlyKeys(t, root, TOP_KEYS);

  const hostsPath = field(root, "hosts");
  if (t.hosts === undefined) throw new ConfigError(hostsPath, "is required (at least one host)");
  const hostsTable = table(t.hosts, hostsPath);
  const hostList = domainKeys(hostsTable, hostsPath, checkDomain);
  if (hostList.length === 0) throw new ConfigError(hostsPath, "must name at least one host");
  const hostNames = new Set(hostList.map((h) => h.name));

  const componentNames = parseComponents(t.components, field(root, "components"), hostNames);
  const ctx: Context = { hosts: hostNames, components: new Set(componentNames) };

  const hosts = record<HostConfig>();
  for (const h of hostList) hosts[h.name] = parseHost(h.name, hostsTable[h.raw], h.path, ctx);

  const components = record<ComponentConfig>();
  for (const jid of componentNames) components[jid] = { jid, hasSecret: false };

  const limits = parseLimits(t.limits, field(root, "limits"));
  const delegationTimeoutMs =
    t.delegation_timeout_ms === undefined
      ? DEFAULT_DELEGATION_TIMEOUT_MS
      : integer(t.delegation_timeout_ms, field(root, "delegation_timeout_ms"), 100, 600000);

  // GET / serves Converse.js unless this is false.
  const webClient = t.web_client === undefined ? true : boolean(t.web_client, field(root, "web_client"));

  return { hosts, components, limits, delegationTimeoutMs, webClient };
}

// ---------------------------------------------------------------------------
// Secrets. No message built here may contain a secret value (nor a JSON parser message,
// which quotes the input).

function parseSecrets(value: unknown, components: ReadonlySet<string>): Map<string, string> {
  const root = "COMPONENT_SECRETS";
  const secrets = new Map<string, string>();
  if (value === undefined || value === null || value === "") return secrets;
  let raw = value;
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new ConfigError(root, "is not valid JSON (parser details withheld: the value is secret)");
    }
  }
  if (!isTable(raw)) {
    throw new ConfigError(root, `must be a JSON object of component JID to secret, got ${kindOf(raw)}`);
  }
  // A key is named in an error only when it is a configured component (public anyway): any
  // other key may be a secret pasted in the wrong place (key and value swapped).
  const stranger = Object.keys(raw).find((k) => {
    const c = checkComponentJid(k);
    return !c.ok || !components.has(c.value);
  });
  if (stranger !== undefined) {
    const known = [...components].sort().join(", ") || "none";
    throw new ConfigError(root, `has a key that is not a configured component (not shown: it could be a misplaced secret); configured components: ${known}`);
  }
  for (const c of domainKeys(raw, root, checkComponentJid)) {
    const secret = raw[c.raw];
    if (typeof secret !== "string" || secret.length === 0) {
      throw new ConfigError(c.path, "must be a non-empty string");
    }
    secrets.set(c.name, secret);
  }
  return secrets;
}

function parseAdminToken(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") throw new ConfigError("ADMIN_TOKEN", "must be a string");
  return value;
}

// ---------------------------------------------------------------------------
// Public entry points

interface Parsed {
  config: GatewayConfig;
  secrets: ReadonlyMap<string, string>;
}

function parseAll(env: GatewayEnvVars): Parsed {
  const base = parseXmppConfig(env.XMPP_CONFIG);
  const secrets = parseSecrets(env.COMPONENT_SECRETS, new Set(Object.keys(base.components)));
  for (const jid of secrets.keys()) base.components[jid].hasSecret = true;
  const adminToken = parseAdminToken(env.ADMIN_TOKEN);
  return { config: deepFreeze({ ...base, adminToken }), secrets };
}

/** Validates the environment; throws ConfigError naming the first bad key. */
export function parseConfig(env: GatewayEnvVars): GatewayConfig {
  return parseAll(env).config;
}

export type LoadResult = { ok: true; config: GatewayConfig } | { ok: false; error: string };

interface CacheEntry {
  xmpp: unknown;
  secretsIn: unknown;
  admin: unknown;
  result: LoadResult;
  secrets: ReadonlyMap<string, string>;
}

// A Worker isolate sees the same env values on every request, so a tiny cache keyed by
// identity (Object.is) makes loadConfig() free on the hot path. Env values are treated as
// immutable: mutating an XMPP_CONFIG object in place is not noticed.
const CACHE_SIZE = 4;
const cache: CacheEntry[] = [];

function lookup(env: GatewayEnvVars): CacheEntry {
  const { XMPP_CONFIG: xmpp, COMPONENT_SECRETS: secretsIn, ADMIN_TOKEN: admin } = env;
  for (const c of cache) {
    if (Object.is(c.xmpp, xmpp) && Object.is(c.secretsIn, secretsIn) && Object.is(c.admin, admin)) {
      return c;
    }
  }
  let entryValue: CacheEntry;
  try {
    const parsed = parseAll(env);
    entryValue = { xmpp, secretsIn, admin, result: { ok: true, config: parsed.config }, secrets: parsed.secrets };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    entryValue = { xmpp, secretsIn, admin, result: { ok: false, error: e.message }, secrets: new Map() };
  }
  cache.unshift(entryValue);
  if (cache.length > CACHE_SIZE) cache.pop();
  return entryValue;
}

/** Like parseConfig but never throws a ConfigError; memoised per distinct env values. */
export function loadConfig(env: GatewayEnvVars): LoadResult {
  return lookup(env).result;
}

/**
 * The secret of a configured component, or undefined (unknown component, no secret, or an
 * invalid configuration). Secrets are kept out of GatewayConfig so the config can be shown.
 */
export function componentSecret(env: GatewayEnvVars, jid: string): string | undefined {
  return lookup(env).secrets.get(jid.toLowerCase());
}

/** The configuration without the admin token, for display (admin API, logs). */
export function redactConfig(
  config: GatewayConfig,
): Omit<GatewayConfig, "adminToken"> & { adminApi: boolean } {
  const { adminToken, ...rest } = config;
  return { ...rest, adminApi: adminToken !== null };
}

// ---------------------------------------------------------------------------
// Lookups used everywhere. Inputs are lower-cased; callers normally pass already
// normalised domains (from a parsed JID), for which this is a no-op.

export function hostOf(config: GatewayConfig, domain: string): HostConfig | undefined {
  const d = domain.toLowerCase();
  return Object.hasOwn(config.hosts, d) ? config.hosts[d] : undefined;
}

/** True when `domain` is exactly a configured component JID. */
export function isComponent(config: GatewayConfig, domain: string): boolean {
  return Object.hasOwn(config.components, domain.toLowerCase());
}

/**
 * The component JID serving `domain`. Exact match only: a XEP-0114 component owns exactly
 * its own domain, so "x.pubsub.localhost" is NOT served by "pubsub.localhost" (it would have
 * to be configured as a component of its own).
 */
export function componentFor(config: GatewayConfig, domain: string): string | undefined {
  const d = domain.toLowerCase();
  return Object.hasOwn(config.components, d) ? config.components[d].jid : undefined;
}
