// AccountObject: one per account (bare JID). It owns the account's storage
// (credentials, roster, resources, offline messages) and exposes it by RPC;
// the behaviour is in src/account/account.ts.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import { loadConfig } from "../src/config";
import { Account } from "../src/account/account";
import type { StoredCredentials } from "../src/sasl";
import { sessionStub } from "../src/routing/route";
import { type ClientAnswer, type ClientCommand, grantStore, runClientCommand, takeClientGrants, withdrawClientGrants } from "../src/delegation/client-mode";
import { privilegeHooks } from "../src/privilege/account-hooks";
import { setAlarmSetter } from "../src/privilege/privileged-iq";
import { countPrivilege, privilegeCounts } from "../src/privilege/store";
import { recordInDirectory } from "../src/admin/account-directory";

const AUTH_WINDOW_MS = 15 * 60 * 1000;

export class AccountObject extends DurableObject<Env> {
  private cached: Account | null = null;

  private account(): Account {
    if (this.cached) return this.cached;
    const loaded = loadConfig(this.env);
    if (!loaded.ok) throw new Error(loaded.error);
    const bare = this.ctx.id.name;
    if (!bare) throw new Error("AccountObject must be addressed by name");
    const account = new Account(this.env, loaded.config, bare, this.ctx.storage.sql, (p) =>
      this.ctx.waitUntil(p.catch((e) => console.error("account task failed", String(e)))),
    );
    account.exists = async () => this.hasAccount();
    // XEP-0356 privileged IQs time out on the object's alarm (src/privilege/privileged-iq.ts).
    setAlarmSetter(account, (at) => this.ctx.waitUntil(this.ctx.storage.setAlarm(at).catch(() => undefined)));
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

  // ---- credentials and lifecycle ----------------------------------------------------

  async credentials(): Promise<StoredCredentials | null> {
    return this.credentialsNow();
  }

  async exists(): Promise<boolean> {
    return this.hasAccount();
  }

  /** Sets the SCRAM keys. With `createOnly`, an existing account is left alone. */
  async setCredentials(creds: StoredCredentials, createOnly: boolean): Promise<"created" | "changed" | "exists"> {
    const existed = this.hasAccount();
    if (existed && createOnly) return "exists";
    this.ctx.storage.kv.put("credentials", creds);
    this.existsCache = true;
    // Listed on creation; a password change lists an account older than the directory.
    if (this.ctx.id.name) await recordInDirectory(this.env, this.ctx.id.name, true);
    return existed ? "changed" : "created";
  }

  /** Deletes the account: its connections are closed and every stored row removed. */
  async deleteAccount(reason: string): Promise<boolean> {
    const existed = this.hasAccount();
    const sessions = this.account().resources.list().map((r) => r.session);
    const clientGrants = takeClientGrants(this.ctx.storage.sql);
    this.ctx.storage.kv.delete("credentials");
    this.existsCache = false;
    await Promise.all(sessions.map((s) => sessionStub(this.env, s).kick("not-authorized", reason).catch(() => undefined)));
    await this.ctx.storage.deleteAll();
    this.cached = null;
    // XEP-0355 client mode: the managing entities stop acting for the deleted account.
    await withdrawClientGrants(this.env, this.ctx.id.name ?? "", clientGrants);
    // The host's directory of online accounts (XEP-0356 initial presences) forgets it too.
    if (this.ctx.id.name) await privilegeHooks.deleted(this.env, this.ctx.id.name);
    if (existed && this.ctx.id.name) await recordInDirectory(this.env, this.ctx.id.name, false);
    return existed;
  }

  async recordAuthFailure(): Promise<number> {
    if (!this.hasAccount()) return 0;
    const kv = this.ctx.storage.kv;
    const now = Date.now();
    const since = kv.get<number>("auth_since") ?? 0;
    const count = now - since > AUTH_WINDOW_MS ? 1 : (kv.get<number>("auth_failures") ?? 0) + 1;
    if (count === 1) kv.put("auth_since", now);
    kv.put("auth_failures", count);
    return count;
  }

  async clearAuthFailures(): Promise<void> {
    if (this.ctx.storage.kv.get("auth_failures") !== undefined) this.ctx.storage.kv.delete("auth_failures");
  }

  // ---- sessions -----------------------------------------------------------------------

  async bind(resource: string, session: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!this.hasAccount()) return { ok: false, reason: "the account no longer exists" };
    await this.account().bind(resource, session);
    return { ok: true };
  }

  // Below, a missing account (never created, or deleted under a live session) is answered
  // without building its tables: see Account.receive and src/account/no-account.ts.

  /** The connection object a bound resource lives in (src/routing/direct.ts), or null. */
  async sessionOf(resource: string): Promise<string | null> {
    if (!this.hasAccount() || !this.hasTable("resources")) return null;
    return this.account().resources.get(resource)?.session ?? null;
  }

    async unbind(resource: string, session: string): Promise<void> {
    // A deleted account's sessions unbind while deleteAccount kicks them: their contacts
    // still get unavailable. Without credentials and without resources there is nothing to do.
    if (!this.hasAccount() && !this.hasTable("resources")) return;
    await this.account().unbind(resource, session);
  }

  /** The bound resources, for the admin API (who is online with which resources). */
  async listResources(): Promise<Array<{ resource: string; available: boolean; priority: number }>> {
    if (!this.hasTable("resources")) return [];
    return this.account().resources.list()
      .map((r) => ({ resource: r.resource, available: r.available, priority: r.priority }))
      .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  }

  private hasTable(name: string): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;
  }

  // ---- stanzas ------------------------------------------------------------------------

  async receive(stanza: string): Promise<string[]> {
    return this.account().receive(stanza);
  }

  async ownPresence(resource: string, stanza: string): Promise<string[]> {
    if (!this.hasAccount()) return [];
    return this.account().ownPresence(resource, stanza);
  }

  async outboundSubscription(stanza: string): Promise<string[]> {
    if (!this.hasAccount()) return [];
    return this.account().outboundSubscription(stanza);
  }

  async trackDirectedPresence(resource: string, jid: string, unavailable: boolean): Promise<void> {
    if (!this.hasAccount()) return;
    await this.account().trackDirectedPresence(resource, jid, unavailable);
  }

  // ---- XEP-0355 client mode (src/delegation/client-mode.ts) ------------------------------

  /** This user's client-mode delegation requests and grants. */
  async clientDelegation(cmd: ClientCommand): Promise<ClientAnswer> {
    return runClientCommand(grantStore(this.ctx.storage.sql), cmd);
  }

  // ---- XEP-0356 (src/privilege) -----------------------------------------------------------

  /** The presences a privileged entity connecting now would have had from this account. */
  async privilegePresences(contacts: boolean): Promise<string[]> {
    if (!this.hasAccount()) return [];
    return privilegeHooks.currentPresences(this.account(), contacts);
  }

  /** Audit counter of this account as a privileged entity ("access/outcome"). */
  async recordPrivilege(key: string): Promise<void> {
    countPrivilege(this.ctx.storage.sql, key);
  }

  async privilegeCounts(): Promise<Record<string, number>> {
    return privilegeCounts(this.ctx.storage.sql);
  }

  /** Privileged IQs whose answer is overdue. */
  override async alarm(): Promise<void> {
    await privilegeHooks.alarm(this.account());
  }
}
