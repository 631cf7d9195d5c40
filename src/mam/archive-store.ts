// One user's message archive (XEP-0313) in their account object's SQLite storage.
//
// Rows are ordered by `seq` (AUTOINCREMENT, so never reused) which is also the
// chronological order; `id` is the opaque, stable archive id clients see (§7.2: unique
// and never reused). The archive is bounded in messages and bytes, and entries older
// than the retention period are dropped; the oldest entries always go first.
import { utf8Length } from "../xml/frame-parser";
import { DEFAULT_PREFS, type MamPrefs } from "./prefs";

export interface ArchiveLimits {
  /** Days an entry is kept (Prosody's archive_expires_after defaults to one week); 0 or Infinity: no expiry. */
  retentionDays: number;
  /** Entries kept per account; the oldest go first. */
  maxMessages: number;
  /** Bytes of stanzas kept per account. */
  maxBytes: number;
  /** A larger stanza is not archived. */
  maxMessageBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  retentionDays: 7,
  maxMessages: 10_000,
  maxBytes: 20 * 1024 * 1024,
  maxMessageBytes: 64 * 1024,
};

export type Direction = "in" | "out";

export interface ArchivedMessage {
  seq: number;
  id: string;
  /** Milliseconds since the epoch, when the server archived it. */
  at: number;
  /** Bare JID of the other party (the owner's own for a message to oneself). */
  withBare: string;
  withFull: string;
  direction: Direction;
  stanza: string;
}

export interface NewEntry {
  withFull: string;
  direction: Direction;
  stanza: string;
  at: number;
}

/** The filter part of a query; ids are archive ids. */
export interface ArchiveFilter {
  withBare?: string;
  withFull?: string;
  start?: number;
  end?: number;
  afterSeq?: number;
  beforeSeq?: number;
  ids?: string[];
}

type Row = { seq: number; id: string; at: number; with_bare: string; with_full: string; direction: string; stanza: string };

function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return slash === -1 ? jid : jid.slice(0, slash);
}

function newArchiveId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

function toMessage(r: Row): ArchivedMessage {
  return { seq: r.seq, id: r.id, at: r.at, withBare: r.with_bare, withFull: r.with_full, direction: r.direction as Direction, stanza: r.stanza };
}

export class ArchiveStore {
  constructor(private readonly sql: SqlStorage, readonly limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) {
    sql.exec(`CREATE TABLE IF NOT EXISTS mam_archive (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL,
      with_bare TEXT NOT NULL, with_full TEXT NOT NULL, direction TEXT NOT NULL,
      stanza TEXT NOT NULL, bytes INTEGER NOT NULL)`);
    sql.exec("CREATE INDEX IF NOT EXISTS mam_archive_with ON mam_archive (with_bare, seq)");
    sql.exec("CREATE INDEX IF NOT EXISTS mam_archive_at ON mam_archive (at)");
    // The preferences (its bytes and entries columns are no longer written: the totals are
    // kept in memory, see below).
    sql.exec(`CREATE TABLE IF NOT EXISTS mam_meta (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL,
      entries INTEGER NOT NULL DEFAULT 0, prefs TEXT)`);
  }

  // This object is the only writer of its storage (one store per storage,
  // src/storage/per-storage.ts), so the totals (counted once per object lifetime, at most
  // max_messages rows), the preferences and the oldest entry's time are read once and kept:
  // archiving a message is then one INSERT.
  private cachedTotals: { bytes: number; entries: number } | null = null;
  private cachedPrefs: MamPrefs | null = null;
  /** The oldest entry's time; null: empty; undefined: not read yet. */
  private oldestAt: number | null | undefined = undefined;

  private totals(): { bytes: number; entries: number } {
    this.cachedTotals ??= this.sql.exec<{ bytes: number; entries: number }>("SELECT COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS entries FROM mam_archive").one();
    return this.cachedTotals;
  }

  private oldest(): number | null {
    if (this.oldestAt === undefined) this.oldestAt = this.sql.exec<{ at: number | null }>("SELECT MIN(at) AS at FROM mam_archive").one().at;
    return this.oldestAt;
  }

  count(): number {
    return this.totals().entries;
  }

  bytes(): number {
    return this.totals().bytes;
  }

  private addTotals(bytes: number, entries: number): void {
    const t = this.totals();
    this.cachedTotals = { bytes: t.bytes + bytes, entries: t.entries + entries };
  }

  /** Archives one stanza; its new archive id, or null when it is over the size bound. */
  append(entry: NewEntry): string | null {
    const size = utf8Length(entry.stanza);
    if (size > this.limits.maxMessageBytes) return null;
    this.totals(); // counted before the row goes in
    this.expire(entry.at);
    const id = newArchiveId();
    this.sql.exec("INSERT INTO mam_archive (id, at, with_bare, with_full, direction, stanza, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
      id, entry.at, bareOf(entry.withFull), entry.withFull, entry.direction, entry.stanza, size);
    this.addTotals(size, 1);
    if (this.oldest() === null) this.oldestAt = entry.at;
    this.enforceBounds();
    return id;
  }

  /** Drops entries older than the retention period. */
  expire(now: number): number {
    const days = this.limits.retentionDays;
    if (!Number.isFinite(days) || days <= 0) return 0;
    const cutoff = now - days * 86_400_000;
    const oldest = this.oldest();
    if (oldest === null || oldest >= cutoff) return 0;
    return this.deleteWhere("at < ?", cutoff);
  }

  private deleteWhere(where: string, ...params: (string | number)[]): number {
    this.totals(); // counted before the rows go
    const gone = this.sql.exec<{ bytes: number }>(`DELETE FROM mam_archive WHERE ${where} RETURNING bytes`, ...params).toArray();
    if (gone.length > 0) {
      this.addTotals(-gone.reduce((s, r) => s + r.bytes, 0), -gone.length);
      this.oldestAt = undefined;
    }
    return gone.length;
  }

  /** Oldest entries go until the archive is within its message and byte bounds. */
  private enforceBounds(): void {
    const over = this.count() - this.limits.maxMessages;
    if (over > 0) this.deleteWhere("seq IN (SELECT seq FROM mam_archive ORDER BY seq LIMIT ?)", over);
    while (this.bytes() > this.limits.maxBytes) {
      if (this.deleteWhere("seq IN (SELECT seq FROM mam_archive ORDER BY seq LIMIT 16)") === 0) break;
    }
  }

  /** The position of an archive id, or null when it is not (or no longer) in the archive. */
  seqOf(id: string): number | null {
    return this.sql.exec<{ seq: number }>("SELECT seq FROM mam_archive WHERE id = ?", id).toArray()[0]?.seq ?? null;
  }

  private where(f: ArchiveFilter, extra: string[] = [], extraParams: (string | number)[] = []): { sql: string; params: (string | number)[] } {
    const cond: string[] = [...extra];
    const params: (string | number)[] = [...extraParams];
    if (f.withFull !== undefined) { cond.push("with_full = ?"); params.push(f.withFull); }
    if (f.withBare !== undefined) { cond.push("with_bare = ?"); params.push(f.withBare); }
    if (f.start !== undefined) { cond.push("at >= ?"); params.push(f.start); }
    if (f.end !== undefined) { cond.push("at <= ?"); params.push(f.end); }
    if (f.afterSeq !== undefined) { cond.push("seq > ?"); params.push(f.afterSeq); }
    if (f.beforeSeq !== undefined) { cond.push("seq < ?"); params.push(f.beforeSeq); }
    if (f.ids !== undefined) { cond.push(`id IN (${f.ids.map(() => "?").join(", ") || "NULL"})`); params.push(...f.ids); }
    return { sql: cond.length ? `WHERE ${cond.join(" AND ")}` : "", params };
  }

  /** How many entries match, optionally only those before position `beforeSeq`. */
  countMatching(f: ArchiveFilter, beforeSeq?: number): number {
    const w = beforeSeq === undefined ? this.where(f) : this.where(f, ["seq < ?"], [beforeSeq]);
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM mam_archive ${w.sql}`, ...w.params).one().n;
  }

  /**
   * Up to `limit` matching entries, in chronological order: the oldest ones after
   * `afterSeq` when paging forward, the newest ones before `beforeSeq` when backward.
   */
  page(f: ArchiveFilter, limit: number, backward: boolean, cursor?: number): ArchivedMessage[] {
    const extra = cursor === undefined ? [] : [backward ? "seq < ?" : "seq > ?"];
    const w = this.where(f, extra, cursor === undefined ? [] : [cursor]);
    const rows = this.sql.exec<Row>(`SELECT seq, id, at, with_bare, with_full, direction, stanza FROM mam_archive ${w.sql}
      ORDER BY seq ${backward ? "DESC" : "ASC"} LIMIT ?`, ...w.params, limit).toArray().map(toMessage);
    return backward ? rows.reverse() : rows;
  }

  /** The oldest and newest entries (XEP-0313 §5 archive metadata). */
  bounds(): { first: ArchivedMessage; last: ArchivedMessage } | null {
    const q = (order: string) => this.sql.exec<Row>(`SELECT seq, id, at, with_bare, with_full, direction, stanza FROM mam_archive ORDER BY seq ${order} LIMIT 1`).toArray()[0];
    const first = q("ASC");
    const last = q("DESC");
    return first && last ? { first: toMessage(first), last: toMessage(last) } : null;
  }

  prefs(): MamPrefs {
    if (!this.cachedPrefs) {
      const raw = this.sql.exec<{ prefs: string | null }>("SELECT prefs FROM mam_meta WHERE id = 1").toArray()[0]?.prefs;
      this.cachedPrefs = raw ? (JSON.parse(raw) as MamPrefs) : DEFAULT_PREFS;
    }
    return this.cachedPrefs;
  }

  setPrefs(prefs: MamPrefs): void {
    this.cachedPrefs = prefs;
    this.sql.exec("INSERT INTO mam_meta (id, bytes, entries, prefs) VALUES (1, 0, 0, ?) ON CONFLICT(id) DO UPDATE SET prefs = excluded.prefs", JSON.stringify(prefs));
  }

  /** Forgets the whole archive and the preferences (the account is being removed). */
  deleteAll(): void {
    this.sql.exec("DELETE FROM mam_archive");
    this.sql.exec("DELETE FROM mam_meta");
    this.cachedTotals = null;
    this.cachedPrefs = null;
    this.oldestAt = undefined;
  }
}
