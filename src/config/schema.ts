// The XMPP_CONFIG schema: every key, its type and default, section by section.
//
// Errors name the exact key path, with map entries in brackets so dots inside JIDs stay
// unambiguous: XMPP_CONFIG.hosts["localhost"].privileged_entities["pubsub.localhost"].presence
// The first problem found is reported; a bad configuration is never half-applied.
//
// References:
//   CONTRACT.md "Configuration"
//   XEP-0356 §Server roster (push default and "MUST NOT push for none/set"),
//            §Roster presence ("roster" presence needs roster get/both, else not granted)
//   XEP-0355 §Business rules 5 (urn:xmpp:delegation:2 MUST NOT be delegated),
//            §Security 2 (client_delegation: the namespaces users may delegate)
import {
  ConfigError,
  type ArchiveSettings,
  type ComponentConfig,
  type Delegation,
  type GatewayConfig,
  type HostConfig,
  type IqAccess,
  type Limits,
  type MessageAccess,
  type PresenceAccess,
  type PrivilegeGrant,
  type RosterAccess,
} from "./types";
import { clientNamespaceProblem } from "./client-delegation";
import { parseStreamManagement } from "../stream-management/config";
import {
  type Checked, type Table, boolean, checkComponentJid, checkDomain, checkEntity, checkName, entry, field, integer, kindOf, oneOf, onlyKeys, record, show, table,
} from "./checks";

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
  // A component speaks for many users at once: its connection's bucket is far larger than a client's.
  componentRatePerSecond: 5000,
  componentBurst: 20_000,
  maxRosterItems: 5000,
});
export const DEFAULT_DELEGATION_TIMEOUT_MS = 30000;
export const DEFAULT_ARCHIVE: Readonly<ArchiveSettings> = Object.freeze({ retentionDays: 7, maxMessages: 10_000 });

// ---------------------------------------------------------------------------
// XMPP_CONFIG sections

interface Context {
  hosts: ReadonlySet<string>;
  components: ReadonlySet<string>;
}

const TOP_KEYS = ["hosts", "components", "limits", "delegation_timeout_ms", "web_client", "archive", "stream_management"] as const;
const ARCHIVE_KEYS = ["retention_days", "max_messages"];
const HOST_KEYS = ["registration", "privileged_entities", "delegations", "client_delegation"] as const;
const GRANT_KEYS = ["roster", "push", "message", "presence", "iq"] as const;
const DELEGATION_KEYS = ["jid", "filtering"] as const;
const LIMIT_KEYS = ["max_stanza_size", "rate_per_second", "burst", "auth_failures_before_delay", "component_rate_per_second", "component_burst", "max_roster_items"];

/** Normalises the keys of a map of domains, refusing invalid and duplicate ones. */
export function domainKeys(
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

function positiveNumber(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new ConfigError(path, `must be a number greater than 0 (got ${show(v)})`);
  return v;
}

function parseLimits(value: unknown, path: string): Limits {
  if (value === undefined) return { ...DEFAULT_LIMITS };
  const t = table(value, path);
  onlyKeys(t, path, LIMIT_KEYS);
  const limits: Limits = { ...DEFAULT_LIMITS };
  if (t.max_stanza_size !== undefined) {
    limits.maxStanzaSize = integer(t.max_stanza_size, field(path, "max_stanza_size"), 1024, 16777216);
  }
  if (t.rate_per_second !== undefined) limits.ratePerSecond = positiveNumber(t.rate_per_second, field(path, "rate_per_second"));
  if (t.burst !== undefined) {
    limits.burst = integer(t.burst, field(path, "burst"), 1, Number.MAX_SAFE_INTEGER);
  }
  if (t.component_rate_per_second !== undefined) {
    limits.componentRatePerSecond = positiveNumber(t.component_rate_per_second, field(path, "component_rate_per_second"));
  }
  if (t.component_burst !== undefined) {
    limits.componentBurst = integer(t.component_burst, field(path, "component_burst"), 1, Number.MAX_SAFE_INTEGER);
  }
  if (t.max_roster_items !== undefined) {
    limits.maxRosterItems = integer(t.max_roster_items, field(path, "max_roster_items"), 1, 1_000_000);
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

function parseArchive(value: unknown, path: string): ArchiveSettings {
  if (value === undefined) return { ...DEFAULT_ARCHIVE };
  const t = table(value, path);
  onlyKeys(t, path, ARCHIVE_KEYS);
  return {
    retentionDays: t.retention_days === undefined ? DEFAULT_ARCHIVE.retentionDays : integer(t.retention_days, field(path, "retention_days"), 0, 36500),
    maxMessages: t.max_messages === undefined ? DEFAULT_ARCHIVE.maxMessages : integer(t.max_messages, field(path, "max_messages"), 1, 1_000_000),
  };
}

export function parseXmppConfig(value: unknown): Omit<GatewayConfig, "adminToken"> {
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
  const archive = parseArchive(t.archive, field(root, "archive"));
  const streamManagement = parseStreamManagement(t.stream_management, field(root, "stream_management"));
  if (streamManagement instanceof ConfigError) throw streamManagement;

  return { hosts, components, limits, delegationTimeoutMs, webClient, archive, streamManagement };
}

