// A per-resource flag that a client sets for its own session (XEP-0280 carbons, XEP-0191
// "asked for the blocklist"), in the account object's SQLite storage. A flag belongs to
// the session that set it: a resource name bound again by a new connection starts
// without it, and rows of resources that are gone are pruned whenever a flag is set.
// Read on every message, so the set is cached in memory.

/** The part of a bound resource the flags look at. */
export interface SessionOf {
  resource: string;
  session: string;
}

export class ResourceFlags {
  private cache: Map<string, string> | null = null;

  constructor(private readonly sql: SqlStorage, private readonly table: string) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (resource TEXT PRIMARY KEY, session TEXT NOT NULL)`);
  }

  private all(): Map<string, string> {
    this.cache ??= new Map(this.sql.exec<{ resource: string; session: string }>(`SELECT resource, session FROM ${this.table}`).toArray().map((r) => [r.resource, r.session]));
    return this.cache;
  }

  /** Is the flag set for this resource's current session? */
  has(r: SessionOf): boolean {
    return this.all().get(r.resource) === r.session;
  }

  /** The resources among `bound` whose current session set the flag. */
  active<T extends SessionOf>(bound: readonly T[]): T[] {
    const all = this.all();
    if (all.size === 0) return [];
    return bound.filter((r) => all.get(r.resource) === r.session);
  }

  /** Sets or clears the flag of `r`; forgets the flags of resources no longer in `bound`. */
  set(r: SessionOf, on: boolean, bound: readonly SessionOf[]): void {
    const all = this.all();
    const live = new Map(bound.map((b) => [b.resource, b.session]));
    for (const [resource, session] of all) {
      if (resource !== r.resource && live.get(resource) !== session) this.delete(resource);
    }
    if (on) {
      this.sql.exec(`INSERT INTO ${this.table} (resource, session) VALUES (?, ?) ON CONFLICT(resource) DO UPDATE SET session = excluded.session`, r.resource, r.session);
      all.set(r.resource, r.session);
    } else this.delete(r.resource);
  }

  private delete(resource: string): void {
    this.sql.exec(`DELETE FROM ${this.table} WHERE resource = ?`, resource);
    this.all().delete(resource);
  }
}
