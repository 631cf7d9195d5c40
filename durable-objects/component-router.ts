// ComponentRouter: the mailbox of one component JID (src/component/mailbox.ts). Its
// state (the current connection, pending delegated requests, cached disco, last
// presences) lives in SQLite so it survives hibernation.
import { GatewayObject } from "./base";
import { ComponentMailbox } from "../src/component/mailbox";
import type { ComponentPort } from "../src/ports/ports";
import { type AuditDetail, type AuditEntry, auditLog, countPrivilege, privilegeCounts, recordAuditDetail } from "../src/privilege/store";
import { delegateRequest, cachedDiscoExtras, setClientGrants } from "../src/delegation/mailbox-events";
import type { DiscoExtrasWire, NestingKind } from "../src/delegation/rules";
import { type DelegationCounts, addCounts, delegationCounts, sumCounts } from "../src/delegation/counters";
import { type ComponentStatus, componentStatus } from "../src/admin/component-status";

export class ComponentRouter extends GatewayObject implements ComponentPort {
  private cached: ComponentMailbox | null = null;

  private mailbox(): ComponentMailbox {
    if (this.cached) return this.cached;
    const kv = this.ctx.storage.kv;
    this.cached = new ComponentMailbox(this.services, this.gateway.componentEvents, this.ctx.id.name ?? "", {
      currentSession: () => kv.get<string>("session") ?? null,
      setSession: (id) => (id ? kv.put("session", id) : kv.delete("session")),
      sql: this.ctx.storage.sql,
      setAlarm: (at) => (at === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(at)),
    });
    return this.cached;
  }

  async attach(session: string): Promise<void> {
    await this.mailbox().attach(session);
  }

  async detach(session: string): Promise<void> {
    await this.mailbox().detach(session);
  }

  async addDelegationCounts(counts: Record<string, DelegationCounts>): Promise<void> {
    addCounts(this.ctx.storage.sql, counts);
  }

  async currentConnection(): Promise<string | null> {
    return this.ctx.storage.kv.get<string>("session") ?? null;
  }

  async receive(stanza: string): Promise<string[]> {
    return this.mailbox().receive(stanza);
  }

  async fromComponent(stanza: string): Promise<string[]> {
    return this.mailbox().fromComponent(stanza);
  }

  // ---- XEP-0355 (src/delegation/mailbox-events.ts) ------------------------------------

  async delegate(iq: string, host: string): Promise<string[]> {
    return delegateRequest(this.mailbox(), iq, host);
  }

  async discoExtras(kind: NestingKind, namespaces: string[]): Promise<DiscoExtrasWire> {
    return cachedDiscoExtras(this.mailbox(), kind, namespaces);
  }

  async setClientGrants(user: string, host: string, namespaces: string[]): Promise<void> {
    setClientGrants(this.mailbox(), user, host, namespaces);
  }

  // ---- XEP-0356 audit counters (src/privilege/audit.ts) -----------------------------

  async recordPrivilege(key: string, detail?: AuditDetail): Promise<void> {
    countPrivilege(this.ctx.storage.sql, key);
    if (detail) recordAuditDetail(this.ctx.storage.sql, detail);
  }

  async privilegeLog(): Promise<AuditEntry[]> {
    return auditLog(this.ctx.storage.sql);
  }

  async privilegeCounts(): Promise<Record<string, number>> {
    return privilegeCounts(this.ctx.storage.sql);
  }

  override async alarm(): Promise<void> {
    await this.gateway.componentAlarm(this.mailbox());
  }

  // ---- admin API (src/http/admin-*.ts) ------------------------------------------------

  /** Whether the component is connected now, and since when (or since when not). */
  async connectionStatus(): Promise<ComponentStatus> {
    return componentStatus(this.ctx.storage.sql, this.ctx.storage.kv.get<string>("session") !== undefined);
  }

  /** XEP-0355 counters per delegated namespace (src/delegation/counters.ts). */
  async delegationCounts(): Promise<Record<string, DelegationCounts>> {
    // Requests the current connection forwarded itself: what it has not handed over yet.
    const session = this.ctx.storage.kv.get<string>("session");
    const live = session ? await this.services.ports.connection(session).delegationCounts().catch(() => ({})) : {};
    return sumCounts(delegationCounts(this.ctx.storage.sql), live);
  }
}
