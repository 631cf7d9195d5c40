// The other objects, as the modules see them: small interfaces, one per kind of
// Durable Object, built from the Worker's bindings in exactly one place
// (./from-env.ts). No module under src/ imports a Durable Object class; each class
// declares `implements` of its port, so the compiler keeps the two in step.
import type { StoredCredentials } from "../sasl/credentials";
import type { StreamErrorCondition } from "../xml/stanza";
import type { ClientAnswer, ClientCommand } from "../delegation/client-mode/commands";
import type { DiscoExtrasWire, NestingKind } from "../delegation/rules";
import type { DelegationCounts } from "../delegation/counters";
import type { ComponentStatus } from "../admin/component-status";
import type { AccountPage } from "../admin/account-directory";
import type { AuditDetail, AuditEntry } from "../privilege/store";
import type { StanzaHead } from "../component/requests-in-flight";

/** A bind's outcome: refused for a missing account (the stream ends), or for too many resources (resource-constraint). */
export type BindResult = { ok: true } | { ok: false; reason: string; condition?: "resource-constraint" };

export interface ResourceSummary {
  resource: string;
  available: boolean;
  priority: number;
}
import type { SmEnding, SmHandOver, SmResumeAnswer } from "../stream-management/handover";

/** What a user's connections know of their account (src/im/sender-view.ts). */
export interface SenderView {
  /** XEP-0191: the blocklist. */
  blocked: string[];
  /** XEP-0280: the resources with carbons enabled. */
  carbons: string[];
}

/** What the sender's connection tells the recipient's about a message it hands over
 *  directly, past the recipient's account (src/im/sender-view.ts, directMessage). */
export interface DirectMessage {
  kind: "message";
  /** The sender's full JID (the message's stamped `from`). */
  from: string;
  /** Whether XEP-0280 would copy it to the recipient's other resources. */
  carbonEligible: boolean;
}

/** A contact's broadcast presence handed to one of the recipient's available resources
 *  past its account (src/im/presence-straight.ts). */
export interface DirectPresence {
  kind: "presence";
  /** The broadcasting resource's full JID. */
  from: string;
}

/** Where an account's available resources are connected (a contact's broadcast goes there). */
export interface PresenceRoute {
  resource: string;
  session: string;
}

/** A direct delivery: written (true), not held here any more (false: the route is stale),
 *  or declined by the recipient's connection, whose account must see it ("account"). */
export type DirectOutcome = boolean | "account";

/** The account of one bare JID (AccountObject). Stanzas travel as strings. */
export interface AccountPort {
  credentials(): Promise<StoredCredentials | null>;
  exists(): Promise<boolean>;
  setCredentials(creds: StoredCredentials, createOnly: boolean): Promise<"created" | "changed" | "exists">;
  deleteAccount(reason: string): Promise<boolean>;
  bind(resource: string, session: string): Promise<BindResult>;
  unbind(resource: string, session: string): Promise<void>;
  /** The connection object a bound resource lives in, or null. */
  sessionOf(resource: string): Promise<string | null>;
  /** The available resources and their connections (src/im/presence-straight.ts). */
  presenceRoutes(): Promise<PresenceRoute[]>;
  /** A contact's broadcast presence for one resource, delivered only if it is available. */
  presenceToAvailable(resource: string, stanza: string): Promise<void>;
  /** Any stanza addressed to the account (bare or full JID), `from` trusted. Replies for the sender. */
  receive(stanza: string): Promise<string[]>;
  /** A stanza one of the account's own resources sent (broadcast presence, subscriptions, directed presence). */
  fromResource(resource: string, stanza: string): Promise<string[]>;
  /** A stanza the user sends (from `resource`; "" on the user's behalf), before it is routed:
   *  null to route it on, or the answers that refuse it (src/im/outgoing.ts). */
  outgoing(resource: string, stanza: string): Promise<string[] | null>;
  clientDelegation(cmd: ClientCommand): Promise<ClientAnswer>;
  /** The bound resources (admin API). */
  listResources(): Promise<ResourceSummary[]>;
  privilegePresences(contacts: boolean): Promise<string[]>;
  recordPrivilege(key: string, detail?: AuditDetail): Promise<void>;
  privilegeCounts(): Promise<Record<string, number>>;
  /** The last privileged actions of this entity (XEP-0356 audit). */
  privilegeLog(): Promise<AuditEntry[]>;
  /** What the user's connections need to decide alone whether a stanza needs the account (src/im/sender-view.ts). */
  outgoingView(): Promise<SenderView>;
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
  /** Writes only if this connection is bound to exactly `full`. With `direct`: a user's
   *  message or a contact's broadcast presence that skipped the recipient's account,
   *  written only if that account would have done the same (its blocklist, carbons, the
   *  resource's availability; src/im/sender-view.ts, src/im/presence-straight.ts). */
  deliverTo(full: string, stanza: string, direct?: DirectMessage | DirectPresence): Promise<DirectOutcome>;
  /** Writes only if this is the ready stream of the component `jid` (the stanza already in
   *  the component namespace; `head`: its name and attributes, for requests-in-flight). */
  deliverToComponent(jid: string, stanza: string, head: StanzaHead): Promise<boolean>;
  /** The user's blocklist changed: drop what this connection knows of it (src/im/sender-view.ts). */
  forgetSenderView(bare: string): Promise<void>;
  /** XEP-0355 fast path: forwards a delegated request if this is the ready stream of the
   *  component `jid` (then the answers for its sender), else null. */
  delegate(jid: string, iq: string, host: string): Promise<string[] | null>;
  /** XEP-0355 counters of this connection not yet handed to the component's mailbox. */
  delegationCounts(): Promise<Record<string, DelegationCounts>>;
  alive(): Promise<boolean>;
  kick(condition: StreamErrorCondition, text?: string): Promise<void>;
  /** XEP-0198 §5: hands session `previd` of `account` (client acknowledged `h`) over to connection `to`. */
  smHandOver(previd: string, account: string, h: number, to: string): Promise<SmHandOver>;
}

/** The mailbox of one component JID (ComponentObject). */
export interface ComponentPort {
  attach(session: string): Promise<void>;
  detach(session: string): Promise<void>;
  /** XEP-0355 counters of requests the component's connection forwarded itself. */
  addDelegationCounts(counts: Record<string, DelegationCounts>): Promise<void>;
  /** The connection object the component is attached through now, or null. */
  currentConnection(): Promise<string | null>;
  /** A stanza addressed to the component or a JID at it. Replies for the sender. */
  receive(stanza: string): Promise<string[]>;
  /** A stanza the component sent, already checked. Replies for the component. */
  fromComponent(stanza: string): Promise<string[]>;
  /** XEP-0355: forwards a delegated request; the immediate answer for its sender. */
  delegate(iq: string, host: string): Promise<string[]>;
  discoExtras(kind: NestingKind, namespaces: string[]): Promise<DiscoExtrasWire>;
  setClientGrants(user: string, host: string, namespaces: string[]): Promise<void>;
  recordPrivilege(key: string, detail?: AuditDetail): Promise<void>;
  privilegeCounts(): Promise<Record<string, number>>;
  /** The last privileged actions of this entity (XEP-0356 audit). */
  privilegeLog(): Promise<AuditEntry[]>;
  /** Whether the component is connected now, and since when (admin API). */
  connectionStatus(): Promise<ComponentStatus>;
  /** XEP-0355 counters per delegated namespace (admin API). */
  delegationCounts(): Promise<Record<string, DelegationCounts>>;
}

/** The directory of one virtual host (HostObject): off the message path. */
export interface HostPort {
  setOnline(bare: string, online: boolean): Promise<void>;
  onlineAccounts(): Promise<string[]>;
  /** The account directory (admin API): written on account creation and deletion only. */
  setListed(bare: string, listed: boolean): Promise<void>;
  accountPage(after: string, limit: number): Promise<AccountPage>;
}

/** Rolling-window counters and the server secret (ThrottleObject). */
export interface ThrottlePort {
  hit(windowMs?: number): Promise<number>;
  /** Records a failure; the ms its answer must wait (serialised per key). */
  fail(threshold: number): Promise<number>;
  clear(): Promise<void>;
  serverSecret(): Promise<string>;
}

export interface Ports {
  account(bare: string): AccountPort;
  connection(id: string): ConnectionPort;
  component(jid: string): ComponentPort;
  host(domain: string): HostPort;
  throttle(name: string): ThrottlePort;
}
