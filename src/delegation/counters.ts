// Per-namespace counters of delegated requests, kept in the managing component's
// mailbox for the admin API (GET /admin/delegations). mailbox-events.ts calls
// these at the four outcomes; each in-flight request's namespace is remembered under its
// outer id until the outcome is known (the row lives as long as the request is pending).
import type { Element } from "../xml/stanza";
import { iqPayload } from "../xml/stanza";
import { namespaceOf } from "./rules";
import { perStorage } from "../storage/per-storage";
export type DelegationOutcome = "answered" | "failed" | "timed_out";

export type DelegationCounts = {
  forwarded: number;
  answered: number;
  failed: number;
  timed_out: number;
};

const init = perStorage((sql) => {
  sql.exec(`CREATE TABLE IF NOT EXISTS dlg_counts (namespace TEXT PRIMARY KEY, forwarded INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, timed_out INTEGER NOT NULL DEFAULT 0)`);
  sql.exec("CREATE TABLE IF NOT EXISTS dlg_inflight (outer_id TEXT PRIMARY KEY, namespace TEXT NOT NULL)");
  return sql;
});

function bump(sql: SqlStorage, namespace: string, column: keyof DelegationCounts): void {
  // `column` is one of four fixed names, never input.
  sql.exec(`INSERT INTO dlg_counts (namespace, ${column}) VALUES (?, 1) ON CONFLICT(namespace) DO UPDATE SET ${column} = ${column} + 1`, namespace);
}

/** The namespace a delegated request is counted under: its payload's. */
function requestNamespace(iq: Element): string {
  const payload = iqPayload(iq);
  return payload ? namespaceOf(payload) : "";
}

/** A request about to be sent on to the component under `outerId`. */
export function countForwarded(sql: SqlStorage, iq: Element, outerId: string): void {
  const db = init(sql);
  const namespace = requestNamespace(iq);
  bump(db, namespace, "forwarded");
  db.exec("INSERT OR REPLACE INTO dlg_inflight (outer_id, namespace) VALUES (?, ?)", outerId, namespace);
}

/** A request answered by the gateway with a failure before it could be forwarded. */
export function countUnforwarded(sql: SqlStorage, iq: Element): void {
  bump(init(sql), requestNamespace(iq), "failed");
}

/** The outcome of the forwarded request `outerId` (ignored when it is not in flight). */
export function countOutcome(sql: SqlStorage, outerId: string, outcome: DelegationOutcome): void {
  const db = init(sql);
  const row = db.exec<{ namespace: string }>("SELECT namespace FROM dlg_inflight WHERE outer_id = ?", outerId).toArray()[0];
  if (!row) return;
  db.exec("DELETE FROM dlg_inflight WHERE outer_id = ?", outerId);
  bump(db, row.namespace, outcome);
}

export function delegationCounts(sql: SqlStorage): Record<string, DelegationCounts> {
  const out: Record<string, DelegationCounts> = {};
  type Row = { namespace: string; forwarded: number; answered: number; failed: number; timed_out: number };
  for (const r of init(sql).exec<Row>("SELECT * FROM dlg_counts ORDER BY namespace").toArray()) {
    out[r.namespace] = { forwarded: r.forwarded, answered: r.answered, failed: r.failed, timed_out: r.timed_out };
  }
  return out;
}

/** Adds counts kept elsewhere (a component's connection, when it closes) to these. */
export function addCounts(sql: SqlStorage, counts: Record<string, DelegationCounts>): void {
  const db = init(sql);
  for (const [namespace, c] of Object.entries(counts)) {
    db.exec(
      `INSERT INTO dlg_counts (namespace, forwarded, answered, failed, timed_out) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(namespace) DO UPDATE SET forwarded = forwarded + excluded.forwarded, answered = answered + excluded.answered,
       failed = failed + excluded.failed, timed_out = timed_out + excluded.timed_out`,
      namespace, c.forwarded, c.answered, c.failed, c.timed_out,
    );
  }
}

/** Sums several sets of counts (the mailbox's and its current connection's). */
export function sumCounts(...all: Record<string, DelegationCounts>[]): Record<string, DelegationCounts> {
  const out: Record<string, DelegationCounts> = {};
  for (const counts of all) {
    for (const [ns, c] of Object.entries(counts)) {
      const t = (out[ns] ??= { forwarded: 0, answered: 0, failed: 0, timed_out: 0 });
      t.forwarded += c.forwarded;
      t.answered += c.answered;
      t.failed += c.failed;
      t.timed_out += c.timed_out;
    }
  }
  return out;
}

/** Where the outcomes of delegated requests are counted. */
export interface DelegationCounter {
  forwarded(iq: Element, outerId: string): void;
  unforwarded(iq: Element): void;
  outcome(outerId: string, outcome: DelegationOutcome): void;
}

/** Counting in an object's SQLite (the component's mailbox). */
export function sqlCounter(sql: SqlStorage): DelegationCounter {
  return {
    forwarded: (iq, outerId) => countForwarded(sql, iq, outerId),
    unforwarded: (iq) => countUnforwarded(sql, iq),
    outcome: (outerId, outcome) => countOutcome(sql, outerId, outcome),
  };
}

/** Counting in memory (a component's connection), handed to the mailbox in batches. */
export class MemoryCounter implements DelegationCounter {
  private readonly counts: Record<string, DelegationCounts> = {};
  private readonly inflight = new Map<string, string>();

  /** `changed` is told after every count (the owner sends them on in batches). */
  constructor(private readonly changed: () => void = () => undefined) {}

  private bump(namespace: string, column: keyof DelegationCounts): void {
    (this.counts[namespace] ??= { forwarded: 0, answered: 0, failed: 0, timed_out: 0 })[column]++;
    this.changed();
  }

  forwarded(iq: Element, outerId: string): void {
    const ns = requestNamespace(iq);
    this.bump(ns, "forwarded");
    this.inflight.set(outerId, ns);
  }

  unforwarded(iq: Element): void {
    this.bump(requestNamespace(iq), "failed");
  }

  outcome(outerId: string, outcome: DelegationOutcome): void {
    const ns = this.inflight.get(outerId);
    if (ns === undefined) return;
    this.inflight.delete(outerId);
    this.bump(ns, outcome);
  }

  /** The counts so far; `take` also forgets them (they were handed on). */
  snapshot(take = false): Record<string, DelegationCounts> {
    const out = structuredClone(this.counts);
    if (take) for (const k of Object.keys(this.counts)) delete this.counts[k];
    return out;
  }
}
