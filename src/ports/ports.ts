// The other objects, as the modules see them: small interfaces, one per kind of
// Durable Object, built from the Worker's bindings in exactly one place
// (./from-env.ts). No module under src/ imports a Durable Object class; each class
// declares `implements` of its port, so the compiler keeps the two in step.
import type { StoredCredentials } from "../sasl/credentials";
import type { StreamErrorCondition } from "../xml/stanza";
import type { ClientAnswer, ClientCommand } from "../delegation/client-mode/commands";
import type { DiscoExtrasWire, NestingKind } from "../delegation/rules";
import type { SmEnding, SmHandOver, SmResumeAnswer } from "../stream-management/handover";

/** The account of one bare JID (AccountObject). Stanzas travel as strings. */
export interface AccountPort {
  credentials(): Promise<StoredCredentials | null>;
  exists(): Promise<boolean>;
  setCredentials(creds: StoredCredentials, createOnly: boolean): Promise<"created" | "changed" | "exists">;
  deleteAccount(reason: string): Promise<boolean>;
  recordAuthFailure(): Promise<number>;
  clearAuthFailures(): Promise<void>;
  bind(resource: string, session: string): Promise<{ ok: true } | { ok: false; reason: string }>;
  unbind(resource: string, session: string): Promise<void>;
  /** The connection object a bound resource lives in, or null. */
  sessionOf(resource: string): Promise<string | null>;
  /** Any stanza addressed to the account (bare or full JID), `from` trusted. Replies for the sender. */
  receive(stanza: string): Promise<string[]>;
  /** A stanza one of the account's own resources sent (broadcast presence, subscriptions, directed presence). */
  fromResource(resource: string, stanza: string): Promise<string[]>;
  clientDelegation(cmd: ClientCommand): Promise<ClientAnswer>;
  privilegePresences(contacts: boolean): Promise<string[]>;
  recordPrivilege(key: string): Promise<void>;
  privilegeCounts(): Promise<Record<string, number>>;
  /** XEP-0198: a resumable session `id` was enabled for `resource` on `connection` (the account's directory). */
  smRegister(id: string, resource: string, connection: string): Promise<void>;
  /** XEP-0198 §5: `<resume previd h/>` on `connection`, authenticated as this account. */
  smResume(previd: string, h: number, connection: string): Promise<SmResumeAnswer>;
  /** A session ended without resumption: its resource goes, what it held is delivered or answered. */
  smEnded(ending: SmEnding): Promise<void>;
}

/** One WebSocket connection (ConnectionObject), client or component. */
export interface ConnectionPort {
  /** Writes a stanza to the socket; false when the connection is gone or not ready. */
  deliver(stanza: string): Promise<boolean>;
  /** Writes only if this connection is bound to exactly `full`. */
  deliverTo(full: string, stanza: string): Promise<boolean>;
  alive(): Promise<boolean>;
  kick(condition: StreamErrorCondition, text?: string): Promise<void>;
  /** XEP-0198 §5: hands session `previd` of `account` (client acknowledged `h`) over to connection `to`. */
  smHandOver(previd: string, account: string, h: number, to: string): Promise<SmHandOver>;
}

/** The mailbox of one component JID (ComponentObject). */
export interface ComponentPort {
  attach(session: string): Promise<void>;
  detach(session: string): Promise<void>;
  /** A stanza addressed to the component or a JID at it. Replies for the sender. */
  receive(stanza: string): Promise<string[]>;
  /** A stanza the component sent, already checked. Replies for the component. */
  fromComponent(stanza: string): Promise<string[]>;
  /** XEP-0355: forwards a delegated request; the immediate answer for its sender. */
  delegate(iq: string, host: string): Promise<string[]>;
  discoExtras(kind: NestingKind, namespaces: string[]): Promise<DiscoExtrasWire>;
  setClientGrants(user: string, host: string, namespaces: string[]): Promise<void>;
  recordPrivilege(key: string): Promise<void>;
  privilegeCounts(): Promise<Record<string, number>>;
}

/** The directory of one virtual host (HostObject): off the message path. */
export interface HostPort {
  setOnline(bare: string, online: boolean): Promise<void>;
  onlineAccounts(): Promise<string[]>;
}

/** Rolling-window counters and the server secret (ThrottleObject). */
export interface ThrottlePort {
  hit(windowMs?: number): Promise<number>;
  serverSecret(): Promise<string>;
}

export interface Ports {
  account(bare: string): AccountPort;
  connection(id: string): ConnectionPort;
  component(jid: string): ComponentPort;
  host(domain: string): HostPort;
  throttle(name: string): ThrottlePort;
}
