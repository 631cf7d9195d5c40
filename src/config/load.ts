// Loading the configuration from the Worker's environment: XMPP_CONFIG (./schema.ts),
// the secrets, the admin token; memoised per distinct environment values. Secrets are
// kept out of GatewayConfig, so the configuration can be shown.
import { ConfigError, type GatewayConfig, type GatewayEnvVars } from "./types";
import { checkComponentJid, deepFreeze, isTable, kindOf } from "./checks";
import { domainKeys, parseXmppConfig } from "./schema";

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

