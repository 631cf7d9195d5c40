// Messages kept while no resource can take them (RFC 6121 §8.5.2.1.1, XEP-0160),
// delivered on the next initial presence with a XEP-0203 delay stamp.
//
// The store is bounded in bytes, not only in count, so that draining it can never
// exhaust the object's memory: one message, one sender and the whole account each
// have a budget. It is read back in small pages (take the oldest page, deliver it,
// delete what was delivered), so a login never loads the whole store at once.
//
// References: RFC 6121 §8.5.2.1.1 (offline storage is optional, service-unavailable
// when it is not possible), XEP-0160 §3 (storage, delivery on initial presence).
import { utf8Length } from "../xml/frame-parser";
import { ensureTable, hasTable } from "../storage/tables";

export const MAX_OFFLINE_MESSAGES = 1000;
/** Bytes of one stored message (with its delay stamp); a larger one is refused. */
export const MAX_OFFLINE_MESSAGE_BYTES = 64 * 1024;
/** Bytes stored for one account in all. */
export const MAX_OFFLINE_BYTES = 5 * 1024 * 1024;
/** Bytes stored from one sender (src/im/sender-key.ts), so that one sender cannot fill the store alone. */
export const MAX_OFFLINE_SENDER_BYTES = 1024 * 1024;
/** Messages stored from one sender: a tenth of the store, for the same reason. */
export const MAX_OFFLINE_SENDER_MESSAGES = 100;
/** Messages read and delivered per page. */
export const OFFLINE_PAGE = 20;

export type OfflineRefusal = "too-large" | "sender-full" | "full";

export interface StoredMessage {
  id: number;
  stanza: string;
}

export class OfflineStore {
  /** The table exists here and has the current columns (checked once per instance). */
  private ready = false;

  /** The table is made with the first stored message: an account never sent one reads nothing. */
  constructor(private readonly sql: SqlStorage) {}

  private exists(): boolean {
    if (this.ready) return true;
    if (!hasTable(this.sql, "offline")) return false;
    // Rows of an older schema carry no size or sender; they are counted with length() and ''.
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(offline)").toArray().map((c) => c.name);
    if (!columns.includes("bytes")) this.sql.exec("ALTER TABLE offline ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0");
    if (!columns.includes("sender")) this.sql.exec("ALTER TABLE offline ADD COLUMN sender TEXT NOT NULL DEFAULT ''");
    return (this.ready = true);
  }

  private make(): void {
    if (this.exists()) return;
    ensureTable(this.sql, "offline",
      "CREATE TABLE IF NOT EXISTS offline (id INTEGER PRIMARY KEY AUTOINCREMENT, stanza TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0, sender TEXT NOT NULL DEFAULT '')");
    this.ready = true;
  }

  /** Messages stored, in all or from one sender. */
  count(sender?: string): number {
    if (!this.exists()) return 0;
    const q = "SELECT COUNT(*) AS n FROM offline";
    return (sender === undefined ? this.sql.exec<{ n: number }>(q) : this.sql.exec<{ n: number }>(`${q} WHERE sender = ?`, sender)).one().n;
  }

  /** Bytes stored, in all or from one sender. */
  bytes(sender?: string): number {
    if (!this.exists()) return 0;
    const q = "SELECT COALESCE(SUM(CASE WHEN bytes > 0 THEN bytes ELSE length(CAST(stanza AS BLOB)) END), 0) AS n FROM offline";
    const row = sender === undefined ? this.sql.exec<{ n: number }>(q).one() : this.sql.exec<{ n: number }>(`${q} WHERE sender = ?`, sender).one();
    return row.n;
  }

  /** Stores a message from `sender` (its sender key); null when stored, else why it was refused. */
  add(stanza: string, sender: string): OfflineRefusal | null {
    const size = utf8Length(stanza);
    if (size > MAX_OFFLINE_MESSAGE_BYTES) return "too-large";
    this.make();
    if (this.count() >= MAX_OFFLINE_MESSAGES || this.bytes() + size > MAX_OFFLINE_BYTES) return "full";
    if (this.count(sender) >= MAX_OFFLINE_SENDER_MESSAGES || this.bytes(sender) + size > MAX_OFFLINE_SENDER_BYTES) return "sender-full";
    this.sql.exec("INSERT INTO offline (stanza, bytes, sender) VALUES (?, ?, ?)", stanza, size, sender);
    return null;
  }

  /** The oldest stored messages (at most `limit`), left in the store. */
  page(limit = OFFLINE_PAGE): StoredMessage[] {
    if (!this.exists()) return [];
    return this.sql.exec<{ id: number; stanza: string }>("SELECT id, stanza FROM offline ORDER BY id LIMIT ?", limit)
      .toArray().map((r) => ({ id: r.id, stanza: r.stanza }));
  }

  /** Forgets every message up to and including `id` (they were delivered). */
  deleteThrough(id: number): void {
    if (!this.exists()) return;
    this.sql.exec("DELETE FROM offline WHERE id <= ?", id);
  }

  /**
   * Delivers the store oldest first, a page at a time, deleting what `deliver` accepted.
   * Stops at the first refused message, which stays stored with everything after it.
   * Returns the number delivered.
   */
  async drain(deliver: (stanza: string) => Promise<boolean>): Promise<number> {
    let delivered = 0;
    for (;;) {
      const page = this.page();
      if (page.length === 0) return delivered;
      for (const m of page) {
        if (!(await deliver(m.stanza))) return delivered;
        // Deleted one by one: a message is never delivered twice, even if a later one fails.
        this.deleteThrough(m.id);
        delivered++;
      }
    }
  }
}
