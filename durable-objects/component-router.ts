// ComponentRouter: one per component JID. State (the current connection, pending
// delegated requests, cached disco) lives in SQLite so it survives hibernation.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import { loadConfig } from "../src/config";
import { Router } from "../src/component/router";

export class ComponentRouter extends DurableObject<Env> {
  private router(): Router {
    const loaded = loadConfig(this.env);
    if (!loaded.ok) throw new Error(loaded.error);
    const sql = this.ctx.storage.sql;
    const kv = this.ctx.storage.kv;
    return new Router(this.env, loaded.config, this.ctx.id.name ?? "", {
      currentSession: () => (kv.get<string>("session") ?? null),
      setSession: (id) => (id ? kv.put("session", id) : kv.delete("session")),
    }, (p) => this.ctx.waitUntil(p.catch((e) => console.error("router task failed", String(e)))));
    void sql;
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

  async connected(): Promise<boolean> {
    return this.ctx.storage.kv.get<string>("session") !== undefined;
  }
}
