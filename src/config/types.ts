// The gateway's validated configuration, as the rest of the code sees it.
// Everything here is produced by parseConfig() (./parse) and deep-frozen.
//
// References:
//   CONTRACT.md "Configuration" (the XMPP_CONFIG / COMPONENT_SECRETS / ADMIN_TOKEN inputs)
//   XEP-0356 v0.4.1 §Server roster / §Message / §IQ / §Managed entity presence (permission values)
//   XEP-0355 v0.5 §Server configuration (namespace + filtering attributes + managing JID),
//            §Security 2 (client mode: the server MAY filter the namespaces)

/** XEP-0356 §Roster access: which roster IQ types the entity may send on behalf of users. */
export type RosterAccess = "none" | "get" | "set" | "both";
/** XEP-0356 §Message permission. */
export type MessageAccess = "none" | "outgoing";
/** XEP-0356 §Managed entity presence / §Roster presence. */
export type PresenceAccess = "none" | "managed_entity" | "roster";
/** XEP-0356 §IQ permission, per payload namespace. */
export type IqAccess = "none" | "get" | "set" | "both";

/** One XEP-0356 grant: what `entity` may do for every account of its host. */
export interface PrivilegeGrant {
  /** Component JID (a domain) or a user's bare JID, lower-cased. */
  entity: string;
  roster: RosterAccess;
  /** Roster pushes to the entity; the XEP-0356 default is already resolved (true for get/both). */
  push: boolean;
  message: MessageAccess;
  presence: PresenceAccess;
  /** Namespace → access, as configured (entries with "none" are kept so they can be advertised). */
  iq: Record<string, IqAccess>;
}

/** One XEP-0355 admin-mode delegation. */
export interface Delegation {
  /** The delegated namespace, matched by exact string (pseudo-namespaces such as
   *  `urn:xmpp:delegation:2:bare:disco#info:*` included). */
  namespace: string;
  /** Managing entity: a configured component JID. */
  jid: string;
  /** Attributes that must all be present on the IQ's first child for it to be delegated. */
  filtering: string[];
}

export interface HostConfig {
  domain: string;
  /** XEP-0077 in-band registration. */
  registration: boolean;
  /** Keyed by PrivilegeGrant.entity. */
  privileged: Record<string, PrivilegeGrant>;
  /** Keyed by Delegation.namespace. */
  delegations: Record<string, Delegation>;
  /**
   * XEP-0355 client mode: the namespaces this host's users may delegate to a component
   * (exact strings, in configuration order). Empty = client mode off for the host.
   */
  clientDelegation: string[];
}

export interface Limits {
  /** Bytes; a larger stanza closes the stream with `policy-violation`. */
  maxStanzaSize: number;
  ratePerSecond: number;
  burst: number;
  authFailuresBeforeDelay: number;
  /** A component connection's token bucket (it speaks for many users). */
  componentRatePerSecond: number;
  componentBurst: number;
  /** Items one roster may hold (RFC 6121 §2: a server-configured limit); adding past it gets `policy-violation`. */
  maxRosterItems: number;
}

/** XEP-0313 archives (see docs/user-data.md). */
export interface ArchiveSettings {
  /** Days an entry is kept; 0: no expiry. Default 7. */
  retentionDays: number;
  /** Entries kept per account, the oldest going first. Default 10 000. */
  maxMessages: number;
}

export interface ComponentConfig {
  jid: string;
  /** Whether COMPONENT_SECRETS has a secret for it (without one it cannot connect). */
  hasSecret: boolean;
}

/**
 * The whole configuration. All records keyed by user-supplied strings (hosts, components,
 * privileged, delegations, iq) have a null prototype, so `record[name]` never finds
 * Object.prototype members such as "constructor".
 */
export interface GatewayConfig {
  hosts: Record<string, HostConfig>;
  components: Record<string, ComponentConfig>;
  limits: Limits;
  delegationTimeoutMs: number;
  /** Whether GET / serves the web client (XMPP_CONFIG.web_client, default true). */
  webClient: boolean;
  archive: ArchiveSettings;
  /** XEP-0198 (CONTRACT.md "Sessions that survive"): `stream_management`, parsed by
   *  src/stream-management/config.ts (same shape as its StreamManagementConfig). */
  streamManagement: { resumeWindow: number; maxQueue: number };
  /** null when the administration API is off. Use redactConfig() before showing a config. */
  adminToken: string | null;
}

/** The part of the Worker `env` the configuration is read from. */
export interface GatewayEnvVars {
  XMPP_CONFIG?: unknown;
  COMPONENT_SECRETS?: unknown;
  ADMIN_TOKEN?: unknown;
}

/** A configuration that does not validate. `key` is the full path of the bad key. */
export class ConfigError extends Error {
  readonly reason: string;

  constructor(
    public readonly key: string,
    reason: string,
  ) {
    super(`${key}: ${reason}`);
    this.name = "ConfigError";
    this.reason = reason;
  }
}
