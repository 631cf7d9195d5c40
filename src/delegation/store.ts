// The component router's XEP-0355 state, in its SQLite so that it survives the object
// being evicted (hibernation): requests forwarded and not yet answered, the disco
// nesting queries in flight, and the cached nesting answers.
import type { PendingRequest } from "./rules";

/** Requests forwarded to a component and waiting for its answer. */
export interface PendingRequests {
  pendingCount(): number;
  addPending(p: PendingRequest): void;
  /** Removes and returns the pending request with this outer id. */
  takePending(outerId: string): PendingRequest | null;
  /** Removes and returns every pending request (all, or those due by `now`). */
  takeDue(now?: number): PendingRequest[];
  earliestDeadline(): number | null;
}

export class DelegationStore implements PendingRequests {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS delegation_pending (
      outer_id TEXT PRIMARY KEY, host TEXT NOT NULL, sender TEXT NOT NULL, target TEXT NOT NULL,
      orig_id TEXT NOT NULL, deadline INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS delegation_disco_query (id TEXT PRIMARY KEY, node TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS delegation_disco (node TEXT PRIMARY KEY, query TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS delegation_client (user TEXT PRIMARY KEY, host TEXT NOT NULL, namespaces TEXT NOT NULL)`);
  }

  /** Client mode: what each user granted this component (re-advertised on every connect). */
  setClientGrants(user: string, host: string, namespaces: string[]): void {
    if (!namespaces.length) this.sql.exec("DELETE FROM delegation_client WHERE user = ?", user);
    else this.sql.exec("INSERT OR REPLACE INTO delegation_client (user, host, namespaces) VALUES (?, ?, ?)", user, host, JSON.stringify(namespaces));
  }

  clientGrants(): { user: string; host: string; namespaces: string[] }[] {
    return this.sql
      .exec<{ user: string; host: string; namespaces: string }>("SELECT user, host, namespaces FROM delegation_client ORDER BY user")
      .toArray()
      .map((r) => ({ user: r.user, host: r.host, namespaces: JSON.parse(r.namespaces) as string[] }));
  }

  pendingCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM delegation_pending").one().n;
  }

  addPending(p: PendingRequest): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO delegation_pending (outer_id, host, sender, target, orig_id, deadline) VALUES (?, ?, ?, ?, ?, ?)",
      p.outerId, p.host, p.from, p.to, p.id, p.deadline,
    );
  }

  /** Removes and returns the pending request with this outer id. */
  takePending(outerId: string): PendingRequest | null {
    const rows = this.sql.exec<PendingRow>("DELETE FROM delegation_pending WHERE outer_id = ? RETURNING *", outerId).toArray();
    return rows.length ? fromRow(rows[0]!) : null;
  }

  /** Removes and returns every pending request (all, or those due by `now`). */
  takeDue(now = Number.POSITIVE_INFINITY): PendingRequest[] {
    const limit = Number.isFinite(now) ? now : Number.MAX_SAFE_INTEGER;
    return this.sql.exec<PendingRow>("DELETE FROM delegation_pending WHERE deadline <= ? RETURNING *", limit).toArray().map(fromRow);
  }

  earliestDeadline(): number | null {
    const row = this.sql.exec<{ d: number | null }>("SELECT MIN(deadline) AS d FROM delegation_pending").one();
    return row.d ?? null;
  }

  addDiscoQuery(id: string, node: string): void {
    this.sql.exec("INSERT OR REPLACE INTO delegation_disco_query (id, node) VALUES (?, ?)", id, node);
  }

  takeDiscoQuery(id: string): string | null {
    const rows = this.sql.exec<{ node: string }>("DELETE FROM delegation_disco_query WHERE id = ? RETURNING node", id).toArray();
    return rows.length ? rows[0]!.node : null;
  }

  clearDiscoQueries(): void {
    this.sql.exec("DELETE FROM delegation_disco_query");
  }

  setDisco(node: string, query: string | null): void {
    if (query === null) this.sql.exec("DELETE FROM delegation_disco WHERE node = ?", node);
    else this.sql.exec("INSERT OR REPLACE INTO delegation_disco (node, query) VALUES (?, ?)", node, query);
  }

  disco(node: string): string | null {
    const rows = this.sql.exec<{ query: string }>("SELECT query FROM delegation_disco WHERE node = ?", node).toArray();
    return rows.length ? rows[0]!.query : null;
  }
}

type PendingRow = { outer_id: string; host: string; sender: string; target: string; orig_id: string; deadline: number };

function fromRow(r: PendingRow): PendingRequest {
  return { outerId: r.outer_id, host: r.host, from: r.sender, to: r.target, id: r.orig_id, deadline: r.deadline };
}

/**
 * Pending requests kept in memory, for a component's connection object: no storage write
 * on the request's path. Its timers keep the object from hibernating while any wait, so
 * nothing is lost to eviction; a restart of the runtime loses them with the sockets.
 */
export class MemoryPending implements PendingRequests {
  private readonly byId = new Map<string, PendingRequest>();

  pendingCount(): number {
    return this.byId.size;
  }

  addPending(p: PendingRequest): void {
    this.byId.set(p.outerId, p);
  }

  takePending(outerId: string): PendingRequest | null {
    const p = this.byId.get(outerId) ?? null;
    if (p) this.byId.delete(outerId);
    return p;
  }

  takeDue(now = Number.POSITIVE_INFINITY): PendingRequest[] {
    const due = [...this.byId.values()].filter((p) => p.deadline <= now);
    for (const p of due) this.byId.delete(p.outerId);
    return due;
  }

  /** Every request waits the same timeout from when it was added, so the oldest entry
   *  (a Map iterates in insertion order) has the earliest deadline. */
  earliestDeadline(): number | null {
    return this.byId.values().next().value?.deadline ?? null;
  }
}
