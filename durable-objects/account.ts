// AccountObject: one per account (bare JID). It owns the account's storage
// (credentials, roster, resources, offline messages, what features keep per user) and
// runs the account stage of the pipeline (src/im/account-stage.ts) for every stanza
// addressed to the account. The behaviour is in src/im and the features.
import { GatewayObject } from "./base";
import { Account } from "../src/im/account";
import { deliverToAccount } from "../src/im/account-stage";
import type { StoredCredentials } from "../src/sasl";
import type { AccountPort, BindResult, PresenceRoute, ResourceSummary, SenderView } from "../src/ports/ports";
import { carbonsEnabled } from "../src/carbons/feature";
import type { ClientAnswer, ClientCommand } from "../src/delegation/client-mode/commands";
import { runClientCommand } from "../src/delegation/client-mode/commands";
import { grantStore } from "../src/delegation/client-mode/store";
import { presencesForEntity } from "../src/privilege/account-hooks";
import { blockState } from "../src/blocking/state";
import { type AuditDetail, type AuditEntry, auditLog, countPrivilege, privilegeCounts, recordAuditDetail } from "../src/privilege/store";
import { forgetStorage } from "../src/storage/per-storage";
import { parseTrusted } from "../src/xml/frame-parser";
import { isSubscriptionType } from "../src/im/subscription";
import { SmDirectory } from "../src/stream-management/directory-store";
import type { SmEnding, SmHandOver, SmResumeAnswer } from "../src/stream-management/handover";
import { NS } from "../src/xml/namespaces";
import { type Element, errorReply } from "../src/xml/stanza";
import { bareOf } from "../src/jid/jid";

export class AccountObject extends GatewayObject implements AccountPort {
  private cached: Account | null = null;

  private account(): Account {
    if (this.cached) return this.cached;
    const bare = this.ctx.id.name;
    if (!bare) throw new Error("AccountObject must be addressed by name");
    const account = new Account(this.services, this.gateway.accountEvents, bare, this.ctx.storage.sql);
    account.receiveLocal = async (stanza) => this.deliver(stanza, stanza.toString());
    account.scheduleAlarm = (at) => this.ctx.waitUntil(this.scheduleAlarm(at).catch(() => undefined));
    account.keepWhileMoving = (r, stanza) => {
      const kept = this.moves.get(r.resource);
      if (!kept || kept.from !== r.session) return false;
      kept.stanzas.push(stanza);
      return true;
    };
    this.cached = account;
    return account;
  }

  private credentialsNow(): StoredCredentials | null {
    return this.ctx.storage.kv.get<StoredCredentials>("credentials") ?? null;
  }

  /** Whether the account exists, read once per object lifetime: only this object writes
   *  its credentials, so the cached answer changes only in setCredentials/deleteAccount.
   *  (Every stanza to the account asks; reading and cloning the keys each time showed
   *  in the benchmark's profile.) */
  private existsCache: boolean | null = null;

  private hasAccount(): boolean {
    this.existsCache ??= this.credentialsNow() !== null;
    return this.existsCache;
  }

  /** Whether a store's table was ever created: a missing account must not grow one. */
  private hasTable(name: string): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
  }

  /**
   * The host's account directory (admin API listing), told on creation and deletion only.
   * A failure is logged, never thrown: the directory is for listing, the account is what counts.
   */
  private async listInDirectory(bare: string, listed: boolean): Promise<void> {
    try {
      await this.services.ports.host(bare.slice(bare.lastIndexOf("@") + 1)).setListed(bare, listed);
    } catch (e) {
      console.error(JSON.stringify({ event: "account-directory-failed", account: bare, listed, error: String(e) }));
    }
  }

  // ---- credentials and lifecycle ----------------------------------------------------

  async credentials(): Promise<StoredCredentials | null> {
    const creds = this.credentialsNow();
    // The bind that follows a login asks whether the account exists: already known.
    this.existsCache = creds !== null;
    return creds;
  }

  async exists(): Promise<boolean> {
    return this.hasAccount();
  }

  /** Sets the SCRAM keys. With `createOnly`, an existing account is left alone. A deletion
   *  under way finishes first: the keys then make a new, empty account. */
  async setCredentials(creds: StoredCredentials, createOnly: boolean): Promise<"created" | "changed" | "exists"> {
    if (this.deletion) await this.deletion.catch(() => undefined);
    const existed = this.hasAccount();
    if (existed && createOnly) return "exists";
    this.ctx.storage.kv.put("credentials", creds);
    this.existsCache = true;
    // Made with the account rather than by its first login's bind.
    if (!existed) this.account().resources.prepare();
    // Listed on creation; a password change lists an account older than the directory.
    if (this.ctx.id.name) await this.listInDirectory(this.ctx.id.name, true);
    return existed ? "changed" : "created";
  }

  /** A deletion under way (its awaits must not let a password set slip in between). */
  private deletion: Promise<boolean> | null = null;

  /** Deletes the account: its connections are closed, the features clean up, every stored row goes. */
  async deleteAccount(reason: string): Promise<boolean> {
    if (this.deletion) return this.deletion;
    this.deletion = this.deleteNow(reason);
    try {
      return await this.deletion;
    } finally {
      this.deletion = null;
    }
  }

  private async deleteNow(reason: string): Promise<boolean> {
    const existed = this.hasAccount();
    const account = this.account();
    const sessions = account.resources.list().map((r) => r.session);
    this.ctx.storage.kv.delete("credentials");
    this.existsCache = false;
    await Promise.all(sessions.map((s) => this.services.ports.connection(s).kick("not-authorized", reason).catch(() => undefined)));
    await this.gateway.accountDeleted(account);
    await this.ctx.storage.deleteAll();
    forgetStorage(this.ctx.storage.sql);
    this.cached = null;
    if (existed && this.ctx.id.name) await this.listInDirectory(this.ctx.id.name, false);
    return existed;
  }

  // ---- sessions -----------------------------------------------------------------------

  async bind(resource: string, session: string): Promise<BindResult> {
    if (!this.hasAccount()) return { ok: false, reason: "the account no longer exists" };
    if (!(await this.account().bind(resource, session))) return { ok: false, condition: "resource-constraint", reason: "too many resources are bound to this account" };
    return { ok: true };
  }

  /** The bound resources, for the admin API (who is online with which resources). */
  async listResources(): Promise<ResourceSummary[]> {
    if (!this.hasTable("resources")) return [];
    return this.account().resources.list()
      .map((r) => ({ resource: r.resource, available: r.available, priority: r.priority }))
      .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  }

  // Below, a missing account (never created, or deleted under a live session) is answered
  // without building its tables (src/im/no-account.ts).

  async sessionOf(resource: string): Promise<string | null> {
    if (!this.hasAccount() || !this.hasTable("resources")) return null;
    return this.account().resources.get(resource)?.session ?? null;
  }

  async presenceRoutes(): Promise<PresenceRoute[]> {
    if (!this.hasAccount() || !this.hasTable("resources")) return [];
    return this.account().available().map((r) => ({ resource: r.resource, session: r.session }));
  }

  async presenceToAvailable(resource: string, raw: string): Promise<void> {
    if (!this.hasAccount() || !this.hasTable("resources")) return;
    await this.account().presenceToAvailable(resource, raw);
  }

  async unbind(resource: string, session: string): Promise<void> {
    // A deleted account's sessions unbind while deleteAccount kicks them: their contacts
    // still get unavailable. Without credentials and without resources there is nothing to do.
    if (!this.hasAccount() && !this.hasTable("resources")) return;
    await this.account().unbind(resource, session);
  }

  // ---- stanzas ------------------------------------------------------------------------

  async receive(raw: string): Promise<string[]> {
    return this.deliver(parseTrusted(raw), raw);
  }

  private deliver(stanza: ReturnType<typeof parseTrusted>, raw: string): Promise<string[]> {
    return deliverToAccount(this.gateway.accountStage, this.account(), this.hasAccount(), stanza, raw);
  }

  /** Broadcast presence, subscription requests and directed presence from a resource (RFC 6121 §3, §4). */
  async fromResource(resource: string, raw: string): Promise<string[]> {
    if (!this.hasAccount()) return [];
    const pres = parseTrusted(raw);
    const account = this.account();
    if (pres.attrs.to === undefined) return account.ownPresence(resource, pres);
    if (isSubscriptionType(pres.attrs.type)) return account.outboundSubscription(pres);
    await account.trackDirectedPresence(resource, pres.attrs.to, pres.attrs.type === "unavailable");
    return [];
  }

  async outgoing(resource: string, raw: string): Promise<string[] | null> {
    if (!this.hasAccount()) return null;
    return this.account().outgoing(parseTrusted(raw), resource);
  }

  // ---- XEP-0355 client mode (src/delegation/client-mode) --------------------------------

  async clientDelegation(cmd: ClientCommand): Promise<ClientAnswer> {
    return runClientCommand(grantStore(this.ctx.storage.sql), cmd);
  }

  // ---- XEP-0356 (src/privilege) -----------------------------------------------------------

  async privilegePresences(contacts: boolean): Promise<string[]> {
    if (!this.hasAccount()) return [];
    return presencesForEntity(this.account(), contacts);
  }

  async recordPrivilege(key: string, detail?: AuditDetail): Promise<void> {
    countPrivilege(this.ctx.storage.sql, key);
    if (detail) recordAuditDetail(this.ctx.storage.sql, detail);
  }

  async outgoingView(): Promise<SenderView> {
    if (!this.hasAccount()) return { blocked: [], carbons: [] };
    const account = this.account();
    return { blocked: [...blockState(account).list()], carbons: carbonsEnabled(account) };
  }

  async privilegeLog(): Promise<AuditEntry[]> {
    return auditLog(this.ctx.storage.sql);
  }

  async privilegeCounts(): Promise<Record<string, number>> {
    return privilegeCounts(this.ctx.storage.sql);
  }

  // ---- XEP-0198 (src/stream-management, docs/stream-management.md) ----------------------

  private directory: SmDirectory | null = null;
  /** Resources whose session is moving to a new connection: what arrives meanwhile (memory:
   *  a move lives within one RPC to the old connection; a restart fails it as a whole). */
  private moves = new Map<string, { from: string; stanzas: string[] }>();

  private smDirectory(): SmDirectory {
    return (this.directory ??= new SmDirectory(this.ctx.storage.sql));
  }

  async smRegister(id: string, resource: string, connection: string): Promise<void> {
    if (!this.hasAccount()) return;
    this.smDirectory().register(id, resource, connection, Date.now());
  }

  /**
   * §5: the id is looked up in this account's directory only, so another account's id is
   * simply unknown here (item-not-found, nothing revealed). The old connection gives the
   * session up first; then, in one synchronous step, the resource changes connection
   * (no presence is broadcast: contacts never saw it go).
   */
  async smResume(previd: string, h: number, connection: string): Promise<SmResumeAnswer> {
    if (!this.hasAccount()) return { kind: "failed" };
    const dir = this.smDirectory();
    const e = dir.get(previd);
    if (!e) return { kind: "failed" };
    const live = e.endedAt === null;
    if (live && !dir.beginMove(previd, connection)) return { kind: "failed" };
    const kept = { from: e.connection, stanzas: [] as string[] };
    if (live) this.moves.set(e.resource, kept);
    let out: SmHandOver;
    try {
      out = await this.services.ports.connection(e.connection).smHandOver(previd, this.bare(), h, connection);
    } catch (err) {
      console.error("hand-over failed", String(err));
      out = { kind: "not-found" };
    }
    if (live) this.moves.delete(e.resource);
    if (out.kind === "resumed") {
      const resources = this.account().resources;
      const r = resources.get(e.resource);
      resources.put(r ? { ...r, session: connection } : { resource: e.resource, session: connection, priority: 0, available: false, presence: null, interested: false });
      dir.finishMove(previd);
      return { kind: "resumed", snapshot: out.snapshot, pending: kept.stanzas, available: r?.available ?? false };
    }
    if (live) dir.abortMove(previd);
    // Stanzas kept during a move that failed go the ordinary way.
    for (const s of kept.stanzas) await this.receive(s).then((answers) => this.sendAll(answers));
    if (out.kind === "too-high") return out;
    if (out.kind === "expired") {
      if (out.rerouted && out.resource) await this.smEnded({ id: previd, resource: out.resource, connection: e.connection, rerouted: out.rerouted, offlineOnly: false });
      return { kind: "failed", h: out.h };
    }
    return { kind: "failed" };
  }

  /**
   * A session ended without resumption (docs/stream-management.md §4.6): the resource goes unavailable as on
   * any disconnect, its messages go where RFC 6121 sends them (offline storage only past
   * the queue bound), kept IQ requests are answered service-unavailable.
   */
  async smEnded(ending: SmEnding): Promise<void> {
    if (this.hasTable("sm_directory")) this.smDirectory().ended(ending.id, Date.now());
    if (!this.hasAccount()) return;
    const account = this.account();
    await account.unbind(ending.resource, ending.connection);
    for (const raw of ending.rerouted.messages) {
      const msg = parseTrusted(raw);
      const answers = ending.offlineOnly ? this.storeOffline(msg) : await account.receiveMessage(msg, "", undefined, { again: true });
      await this.sendAll(answers);
    }
    await this.sendAll(ending.rerouted.errors);
  }

  private storeOffline(msg: Element): string[] {
    const account = this.account();
    msg.c("delay", { xmlns: NS.delay, from: account.host.domain, stamp: new Date().toISOString() }).t("Offline storage");
    const refused = account.offline.add(msg.toString(), bareOf(msg.attrs.from ?? ""));
    return refused ? [errorReply(msg, "service-unavailable", "offline storage is full").toString()] : [];
  }

  private async sendAll(stanzas: string[]): Promise<void> {
    for (const s of stanzas) await this.account().send(parseTrusted(s));
  }

  private bare(): string {
    return this.ctx.id.name!;
  }

  override async alarm(): Promise<void> {
    await this.gateway.accountAlarm(this.account());
  }
}
