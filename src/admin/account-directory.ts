// The per-host directory of accounts, kept in the host's HostObject for the admin API's
// listing. It is written only when an account is created or deleted (never on the message
// path), so listing a host's accounts costs one RPC instead of one per account.
import { perStorage } from "../storage/per-storage";

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

export interface AccountPage {
  /** Bare JIDs in code-point order, at most `limit`, all greater than `after`. */
  accounts: string[];
  /** Accounts in the whole directory. */
  total: number;
  /** Where the next page starts (pass as `after`), or null when this was the last one. */
  next: string | null;
}

const init = perStorage((sql) => {
  sql.exec("CREATE TABLE IF NOT EXISTS directory (bare TEXT PRIMARY KEY, created INTEGER NOT NULL)");
  return sql;
});

export function addToDirectory(sql: SqlStorage, bare: string, at: number): void {
  init(sql).exec("INSERT OR IGNORE INTO directory (bare, created) VALUES (?, ?)", bare, at);
}

export function removeFromDirectory(sql: SqlStorage, bare: string): void {
  init(sql).exec("DELETE FROM directory WHERE bare = ?", bare);
}

export function directoryPage(sql: SqlStorage, after: string, limit: number): AccountPage {
  const db = init(sql);
  const n = Math.max(1, Math.min(MAX_PAGE, Math.floor(limit)));
  // One row more than asked tells whether another page follows.
  const rows = db.exec<{ bare: string }>("SELECT bare FROM directory WHERE bare > ? ORDER BY bare LIMIT ?", after, n + 1).toArray();
  const accounts = rows.slice(0, n).map((r) => r.bare);
  const total = db.exec<{ n: number }>("SELECT COUNT(*) AS n FROM directory").one().n;
  return { accounts, total, next: rows.length > n ? accounts[accounts.length - 1]! : null };
}
