// ComponentRouter: one per component JID. State (the current connection, pending
// delegated requests, cached disco) lives in SQLite so it survives hibernation.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import { loadConfig } from "../src/config";
import { Router } from "../src/component/router";
import { countPrivilege, privilegeCounts } from "../src/privilege/store";
import { cachedDiscoExtras, delegateRequest, delegationAlarm, setClientGrants, type DiscoExtrasWire } from "../src/delegation/component-feature";
import type { NestingKind } from "../src/delegation/rules";
import { type DelegationCounts, delegationCounts } from "../src/delegation/counters";
import { type ComponentStatus, componentStatus } from "../src/admin/component-status";

export class ComponentRouter extends DurableObject<Env> {
  private router(): Router {
    const loaded = loadConfig(this.env);
    if (!loaded.ok) throw new Error(loaded.error);
    const sql = this.ctx.storage.sql;
    const kv = this.ctx.storage.kv;
    return new Router(this.env, loaded.config, this.ctx.id.name ?? "", {
      currentSession: () => (kv.get<string>("session") ?? null),
      setSession: (id) => (id ? kv.put("session", id) : kv.delete("session")),
      sql,
      setAlarm: (at) => (at === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(at)),
    }, (p) => this.ctx.waitUntil(p.catch((e) => console.error("router task failed", String(e)))));
  }

  async attach(session: string): Promise<void> {
    await this.router().attach(session);
  }

  async detach(session: string): Promise<void> {
    await this.router().detach(session);
  }

  async receive(stanza: string): Promise<string[]> {
    return this.router().receive(stanza);
  }

  async fromComponent(stanza: string): Promise<string[]> {
    return this.router().fromComponent(stanza);
  }

  // ---- XEP-0355 (src/delegation/component-feature.ts) ------------------------------

  /** Forwards a delegated IQ request to the component; the immediate answer for its sender. */
  async delegate(iq: string, host: string): Promise<string[]> {
    return delegateRequest(this.router(), iq, host);
  }

  /** The component's cached disco nesting answers for these namespaces. */
  async discoExtras(kind: NestingKind, namespaces: string[]): Promise<DiscoExtrasWire> {
    return cachedDiscoExtras(this.router(), kind, namespaces);
  }

  /** Client mode: what `user` grants this component now (re-advertised on reconnect). */
  async setClientGrants(user: string, host: string, namespaces: string[]): Promise<void> {
    setClientGrants(this.router(), user, host, namespaces);
  }

  /** Delegated requests whose deadline passed get service-unavailable. */
  override async alarm(): Promise<void> {
    await delegationAlarm(this.router());
  }

  // ---- XEP-0356 audit counters (src/privilege/audit.ts) -----------------------------

  async recordPrivilege(key: string): Promise<void> {
    countPrivilege(this.ctx.storage.sql, key);
  }

  async privilegeCounts(): Promise<Record<string, number>> {
    return privilegeCounts(this.ctx.storage.sql);
  }

  // ---- admin API (src/http/admin-*.ts) ------------------------------------------------

  /** Whether the component is connected now, and since when (or since when not). */
  async connectionStatus(): Promise<ComponentStatus> {
    return componentStatus(this.ctx.storage.sql, this.ctx.storage.kv.get<string>("session") !== undefined);
  }

  /** XEP-0355 counters per delegated namespace (src/delegation/counters.ts). */
  async delegationCounts(): Promise<Record<string, DelegationCounts>> {
    return delegationCounts(this.ctx.storage.sql);
  }
}
