// HostObject: one per virtual host, the directory of its online accounts. It is
// told when an account's first resource comes online and its last one leaves,
// never about ordinary stanzas, so it is off the message path.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import type { HostPort } from "../src/ports/ports";

export class HostObject extends DurableObject<Env> implements HostPort {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS online (bare TEXT PRIMARY KEY)");
  }

  async setOnline(bare: string, online: boolean): Promise<void> {
    if (online) this.ctx.storage.sql.exec("INSERT OR IGNORE INTO online (bare) VALUES (?)", bare);
    else this.ctx.storage.sql.exec("DELETE FROM online WHERE bare = ?", bare);
  }

  async onlineAccounts(): Promise<string[]> {
    return this.ctx.storage.sql.exec<{ bare: string }>("SELECT bare FROM online ORDER BY bare").toArray().map((r) => r.bare);
  }
}
