// A user's blocklist (XEP-0191) in their account object's SQLite storage, bounded.

/** JIDs one account may block; a block beyond this is refused. */
export const MAX_BLOCKED_JIDS = 1000;

export class BlockStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS blocklist (jid TEXT PRIMARY KEY)");
  }

  list(): string[] {
    return this.sql.exec<{ jid: string }>("SELECT jid FROM blocklist ORDER BY jid").toArray().map((r) => r.jid);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM blocklist").one().n;
  }

  has(jid: string): boolean {
    return this.sql.exec("SELECT 1 FROM blocklist WHERE jid = ?", jid).toArray().length > 0;
  }

  /** Adds JIDs (already normalised); returns those that were not blocked before. */
  add(jids: readonly string[]): string[] {
    const fresh = [...new Set(jids)].filter((j) => !this.has(j));
    for (const j of fresh) this.sql.exec("INSERT INTO blocklist (jid) VALUES (?)", j);
    return fresh;
  }

  /** Removes JIDs; returns those that were blocked. */
  remove(jids: readonly string[]): string[] {
    const gone = [...new Set(jids)].filter((j) => this.has(j));
    for (const j of gone) this.sql.exec("DELETE FROM blocklist WHERE jid = ?", j);
    return gone;
  }

  /** Empties the list; returns what it held. */
  clear(): string[] {
    const all = this.list();
    this.sql.exec("DELETE FROM blocklist");
    return all;
  }
}
