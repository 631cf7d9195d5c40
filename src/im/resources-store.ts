// The account's connected resources: which connection object holds each, its
// presence and priority, and whether it asked for the roster (RFC 6121 §2.1.6
// "interested resource"). Kept in SQLite so it survives the object's eviction.
import type { ResourceView } from "../im/delivery-rules";
import { ensureTable, hasTable } from "../storage/tables";

export interface BoundResource extends ResourceView {
  session: string;
  presence: string | null; // last broadcast presence stanza
  interested: boolean;
}

/** Directed presence targets remembered per resource; beyond it they are not tracked. */
export const MAX_DIRECTED = 1000;

type Row = { resource: string; session: string; priority: number; available: number; presence: string | null; interested: number };

export class ResourcesStore {
  private cache: Map<string, BoundResource> | null = null;

  /** Each table is made with its first write (the directed one only for directed presence). */
  constructor(private readonly sql: SqlStorage) {}

  /** All resources, read once per object lifetime and kept in memory after that. */
  all(): Map<string, BoundResource> {
    if (!this.cache) {
      this.cache = new Map();
      if (!hasTable(this.sql, "resources")) return this.cache;
      for (const r of this.sql.exec<Row>("SELECT * FROM resources").toArray()) {
        this.cache.set(r.resource, { resource: r.resource, session: r.session, priority: r.priority, available: !!r.available, presence: r.presence, interested: !!r.interested });
      }
    }
    return this.cache;
  }

  get(resource: string): BoundResource | undefined {
    return this.all().get(resource);
  }

  list(): BoundResource[] {
    return [...this.all().values()];
  }

  /** Makes the table (new accounts get it when they are created; older ones on first bind). */
  prepare(): void {
    ensureTable(this.sql, "resources", `CREATE TABLE IF NOT EXISTS resources (
      resource TEXT PRIMARY KEY, session TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0,
      available INTEGER NOT NULL DEFAULT 0, presence TEXT, interested INTEGER NOT NULL DEFAULT 0)`);
  }

  put(r: BoundResource): void {
    this.all().set(r.resource, r);
    this.prepare();
    this.sql.exec(
      `INSERT INTO resources (resource, session, priority, available, presence, interested) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(resource) DO UPDATE SET session = excluded.session, priority = excluded.priority,
         available = excluded.available, presence = excluded.presence, interested = excluded.interested`,
      r.resource, r.session, r.priority, r.available ? 1 : 0, r.presence, r.interested ? 1 : 0,
    );
  }

  remove(resource: string): void {
    this.all().delete(resource);
    if (!hasTable(this.sql, "resources")) return;
    this.sql.exec("DELETE FROM resources WHERE resource = ?", resource);
  }

  /** Remembers a directed presence target (RFC 6121 §4.6.3); false when the resource has MAX_DIRECTED already. */
  addDirected(resource: string, jid: string): boolean {
    ensureTable(this.sql, "directed", "CREATE TABLE IF NOT EXISTS directed (resource TEXT NOT NULL, jid TEXT NOT NULL, PRIMARY KEY (resource, jid))");
    const n = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM directed WHERE resource = ?", resource).one().n;
    if (n >= MAX_DIRECTED) return false;
    this.sql.exec("INSERT OR IGNORE INTO directed (resource, jid) VALUES (?, ?)", resource, jid);
    return true;
  }

  removeDirected(resource: string, jid: string): void {
    if (!hasTable(this.sql, "directed")) return;
    this.sql.exec("DELETE FROM directed WHERE resource = ? AND jid = ?", resource, jid);
  }

  /** Takes (reads and forgets) the JIDs a resource sent directed presence to. */
  takeDirected(resource: string): string[] {
    if (!hasTable(this.sql, "directed")) return [];
    const rows = this.sql.exec<{ jid: string }>("DELETE FROM directed WHERE resource = ? RETURNING jid", resource).toArray();
    return rows.map((r) => r.jid);
  }
}
