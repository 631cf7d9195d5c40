// HostObject: one per virtual host, the directory of its online accounts. It is
// told when an account's first resource comes online and its last one leaves,
// never about ordinary stanzas, so it is off the message path.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import type { HostPort } from "../src/ports/ports";
import { type AccountPage, addToDirectory, directoryPage, removeFromDirectory } from "../src/admin/account-directory";

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

  // ---- the account directory (src/admin/account-directory.ts), for the admin API ----------

  /** Lists or unlists an account; called on account creation and deletion only. */
  async setListed(bare: string, listed: boolean): Promise<void> {
    if (listed) addToDirectory(this.ctx.storage.sql, bare, Date.now());
    else removeFromDirectory(this.ctx.storage.sql, bare);
  }

  async accountPage(after: string, limit: number): Promise<AccountPage> {
    return directoryPage(this.ctx.storage.sql, after, limit);
  }
}
