// The durable state of stream-management sessions (XEP-0198 v1.6), over a Durable
// Object's SQLite, so that a session survives the socket and the process: a deploy
// drops every WebSocket without an event, and whatever resumption needs is here.
//
// Per session: its id (bound to the account's bare JID), the resource, the counters
// (unwrapped totals, see ./counter.ts) and the queue of stanzas sent or kept for the
// client and not acknowledged, oldest first. The send count is not stored: it is
// acked + the rows in the queue, so counting a stanza out is one INSERT.
// Acknowledgements release a prefix of the queue by count, not by stored number, so a
// kept presence can be replaced (only the latest per sender is kept while detached)
// without renumbering.
//
// The class works in any object's SQLite (its tables are prefixed sm_); see docs/stream-management.md
// for where it lives and why. Synchronous SQL: each operation is one atomic step of the
// single-threaded object, and the output gate holds any socket send that follows it
// until the write is durable.
//
// The session rows are also kept in memory, read through: this class is the only writer of
// its tables in its object (one instance per object), so the copy is exact, and the hot
// path (a stanza out, a stanza in, an ack) then costs only its writes. A new instance (a
// wake from hibernation, a restart) starts empty and reads from storage again.
import { readAck, wireH } from "./counter";
import { newSmId } from "./session-id";
import { rerouteHeld, type Rerouted } from "./reroute";
import type { AckPolicyView } from "./ack-policy";

/** Ended resumable sessions remembered, so a late <resume/> gets failed with its h (§5). */
export const MAX_ENDED = 50;
export const ENDED_KEEP_MS = 24 * 60 * 60 * 1000;

export interface SmSession {
  id: string;
  account: string;
  resource: string;
  resumable: boolean;
  /** Seconds the session outlives its socket (0 when not resumable). */
  resumeWindow: number;
  maxQueue: number;
  /** Stanzas handled from the client (unwrapped). */
  handledIn: number;
  /** Stanzas counted towards the client: sent, or kept to be sent (unwrapped). */
  sent: number;
  /** Of those, acknowledged by the client (unwrapped). */
  acked: number;
  requestedAt: number | null;
  /** The connection object that owns the session. */
  connection: string;
  /** Since when the session has no socket (ms), null while attached. */
  detachedSince: number | null;
}

export interface NewSession {
  account: string;
  resource: string;
  connection: string;
  resumable: boolean;
  resumeWindow: number;
  maxQueue: number;
}

/** `unacked` and `requestedAt` after the stanza was kept: what the ack policy needs, without reading again. */
export type EnqueueOutcome = { ok: true; h: number; unacked: number; requestedAt: number | null } | { ok: false; reason: "queue-full" | "unknown" };

export type StoreAck =
  | { kind: "ack"; released: number }
  | { kind: "too-high"; h: number; sendCount: number }
  | { kind: "unknown" };

/** A session that ended without resumption, with what it still held. */
export interface Ended {
  id: string;
  account: string;
  resource: string;
  connection: string;
  handledIn: number;
  /** Held stanzas in order, as stored. */
  held: string[];
  /** What to do with them (./reroute.ts). */
  rerouted: Rerouted;
}

export type ResumeOutcome =
  /** Unknown id, another account's id, or a session that is not resumable. */
  | { kind: "not-found" }
  /** The session ended (window passed); `ended` is set when it ended just now and must be rerouted. */
  | { kind: "expired"; handledIn: number; ended?: Ended }
  | { kind: "too-high"; h: number; sendCount: number }
  | { kind: "resumed"; handledIn: number; resource: string; previousConnection: string; wasDetached: boolean; stanzas: string[] };

/** A session on the move between objects (docs/stream-management.md, resumption). */
export interface SmSnapshot {
  session: Omit<SmSession, "connection" | "detachedSince" | "requestedAt">;
  rows: { stanza: string; at: number; onWire: boolean; replaceKey: string | null }[];
}

/** A session row with its send count: acknowledged + still queued. */
const SELECT_SESSION = "SELECT s.*, s.acked + (SELECT COUNT(*) FROM sm_queue q WHERE q.session = s.id) AS sent FROM sm_sessions s";

type Row = {
  id: string; account: string; resource: string; resumable: number; window_s: number; max_queue: number;
  handled_in: number; sent: number; acked: number; requested_at: number | null; connection: string; detached_since: number | null;
};

function toSession(r: Row): SmSession {
  return {
    id: r.id, account: r.account, resource: r.resource, resumable: !!r.resumable, resumeWindow: r.window_s, maxQueue: r.max_queue,
    handledIn: r.handled_in, sent: r.sent, acked: r.acked, requestedAt: r.requested_at, connection: r.connection, detachedSince: r.detached_since,
  };
}

export class SmStore {
  /** Sessions as stored, by id (see above); null: known not to exist. */
  private readonly rows = new Map<string, SmSession | null>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS sm_sessions (
      id TEXT PRIMARY KEY, account TEXT NOT NULL, resource TEXT NOT NULL, resumable INTEGER NOT NULL,
      window_s INTEGER NOT NULL, max_queue INTEGER NOT NULL, handled_in INTEGER NOT NULL DEFAULT 0,
      acked INTEGER NOT NULL DEFAULT 0, requested_at INTEGER,
      connection TEXT NOT NULL, detached_since INTEGER)`);
    // pos orders the queue; on_wire: written to a socket (never replaced); replace_key:
    // a kept presence's sender, replaced by the next one while it is not on the wire.
    sql.exec(`CREATE TABLE IF NOT EXISTS sm_queue (
      pos INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, stanza TEXT NOT NULL,
      at INTEGER NOT NULL, on_wire INTEGER NOT NULL, replace_key TEXT)`);
    sql.exec("CREATE INDEX IF NOT EXISTS sm_queue_session ON sm_queue (session, pos)");
    sql.exec(`CREATE TABLE IF NOT EXISTS sm_ended (
      id TEXT PRIMARY KEY, account TEXT NOT NULL, handled_in INTEGER NOT NULL, ended_at INTEGER NOT NULL)`);
  }

  create(s: NewSession, id: string = newSmId()): SmSession {
    this.sql.exec(
      `INSERT INTO sm_sessions (id, account, resource, resumable, window_s, max_queue, connection) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      id, s.account, s.resource, s.resumable ? 1 : 0, s.resumable ? s.resumeWindow : 0, s.maxQueue, s.connection,
    );
    this.reread(id);
    return this.get(id)!;
  }

  get(id: string): SmSession | null {
    const s = this.row(id);
    return s ? { ...s } : null;
  }

  /** The session as kept in memory (callers outside get a copy). */
  private row(id: string): SmSession | null {
    let s = this.rows.get(id);
    if (s === undefined) {
      const r = this.sql.exec<Row>(`${SELECT_SESSION} WHERE s.id = ?`, id).toArray()[0];
      s = r ? toSession(r) : null;
      this.rows.set(id, s);
    }
    return s;
  }

  /** Forgets the copy in memory of a session whose row changed in ways not tracked here. */
  private reread(id: string): void {
    this.rows.delete(id);
  }

  /** The live session this object holds (a connection object holds at most one), if any. */
  current(): SmSession | null {
    const r = this.sql.exec<Row>(`${SELECT_SESSION} ORDER BY s.rowid DESC LIMIT 1`).toArray()[0];
    return r ? toSession(r) : null;
  }

  /** Drops a session without a trace (a resumption that failed leaves no placeholder behind). */
  discard(id: string): void {
    this.sql.exec("DELETE FROM sm_queue WHERE session = ?", id);
    this.sql.exec("DELETE FROM sm_sessions WHERE id = ?", id);
    this.rows.set(id, null);
  }

  /** The live session of a resource of `account`, if any. */
  byResource(account: string, resource: string): SmSession | null {
    const r = this.sql.exec<Row>(`${SELECT_SESSION} WHERE s.account = ? AND s.resource = ?`, account, resource).toArray()[0];
    return r ? toSession(r) : null;
  }

  /** The held stanzas of a session, oldest first. */
  queue(id: string): string[] {
    return this.sql.exec<{ stanza: string }>("SELECT stanza FROM sm_queue WHERE session = ? ORDER BY pos", id).toArray().map((r) => r.stanza);
  }

  /**
   * Counts and keeps a stanza for the client before it is written to the socket
   * (`onWire`), or while the session is detached (`onWire` false). With `replaceKey`
   * (a presence's sender), an earlier kept stanza with the same key that never went on
   * the wire is dropped first: only the latest presence per sender is kept. Refused past
   * max_queue: the caller then ends the session (resource-constraint) and reroutes.
   */
  enqueue(id: string, stanza: string, now: number, onWire: boolean, replaceKey?: string): EnqueueOutcome {
    const s = this.row(id);
    if (!s) return { ok: false, reason: "unknown" };
    if (replaceKey !== undefined) {
      s.sent -= this.sql.exec("DELETE FROM sm_queue WHERE session = ? AND replace_key = ? AND on_wire = 0 RETURNING pos", id, replaceKey).toArray().length;
    }
    if (s.sent - s.acked >= s.maxQueue) return { ok: false, reason: "queue-full" };
    this.sql.exec("INSERT INTO sm_queue (session, stanza, at, on_wire, replace_key) VALUES (?, ?, ?, ?, ?)", id, stanza, now, onWire ? 1 : 0, replaceKey ?? null);
    s.sent += 1;
    return { ok: true, h: wireH(s.sent), unacked: s.sent - s.acked, requestedAt: s.requestedAt };
  }

  /** Characters of the stanzas written to the socket and not acknowledged (what the
   *  slow-reader meter, src/stream/reader-proof.ts, counts again after a wake). */
  unackedSize(id: string): number {
    return this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(LENGTH(stanza)), 0) AS n FROM sm_queue WHERE session = ? AND on_wire = 1", id).one().n;
  }

  /** Counts one stanza from the client as handled (after it was routed or stored). Returns the new total. */
  handled(id: string): number {
    const s = this.row(id);
    if (!s) return 0;
    this.sql.exec("UPDATE sm_sessions SET handled_in = handled_in + 1 WHERE id = ?", id);
    return ++s.handledIn;
  }

  /** The client's <a h/> (wire value): releases the acknowledged prefix of the queue. */
  ack(id: string, h: number): StoreAck {
    const s = this.row(id);
    if (!s) return { kind: "unknown" };
    const r = readAck(h, s.acked, s.sent);
    if (!r.ok) return { kind: "too-high", h, sendCount: r.sendCount };
    this.release(id, r.released);
    this.sql.exec("UPDATE sm_sessions SET acked = ?, requested_at = NULL WHERE id = ?", r.acked, id);
    s.acked = r.acked;
    s.requestedAt = null;
    return { kind: "ack", released: r.released };
  }

  private release(id: string, n: number): void {
    if (n <= 0) return;
    this.sql.exec("DELETE FROM sm_queue WHERE pos IN (SELECT pos FROM sm_queue WHERE session = ? ORDER BY pos LIMIT ?)", id, n);
  }

  /** Records that an <r/> went out (./ack-policy.ts). */
  markRequested(id: string, now: number): void {
    this.sql.exec("UPDATE sm_sessions SET requested_at = ? WHERE id = ?", now, id);
    const s = this.row(id);
    if (s) s.requestedAt = now;
  }

  policyView(id: string): AckPolicyView {
    const s = this.get(id);
    if (!s) return { unacked: 0, oldestUnackedAt: null, requestedAt: null };
    const oldest = this.sql.exec<{ at: number }>("SELECT at FROM sm_queue WHERE session = ? ORDER BY pos LIMIT 1", id).toArray()[0];
    return { unacked: s.sent - s.acked, oldestUnackedAt: oldest?.at ?? null, requestedAt: s.requestedAt };
  }

  /** The socket is gone (close, error, or found gone after a restart). Returns when the session expires. */
  detach(id: string, now: number): number | null {
    const s = this.get(id);
    if (!s) return null;
    const since = s.detachedSince ?? now;
    if (s.detachedSince === null) this.sql.exec("UPDATE sm_sessions SET detached_since = ? WHERE id = ?", since, id);
    this.reread(id);
    return since + s.resumeWindow * 1000;
  }

  /** The earliest time a detached session expires (for the host object's alarm), or null; with `after`, the earliest later than it. */
  nextExpiry(after = -Infinity): number | null {
    const r = this.sql.exec<{ t: number | null }>(
      "SELECT MIN(detached_since + window_s * 1000) AS t FROM sm_sessions WHERE detached_since IS NOT NULL AND detached_since + window_s * 1000 > ?",
      Number.isFinite(after) ? after : Number.MIN_SAFE_INTEGER,
    ).one();
    return r.t;
  }

  /**
   * §5: `<resume previd h/>` from a stream authenticated as `account`, on `connection`.
   * On success, in one step: the acknowledged prefix is released, the session belongs to
   * `connection` and is attached, and the rest of the queue is returned to be written
   * (in order) after <resumed/>; those rows now count as on the wire.
   */
  takeForResume(previd: string, account: string, h: number, connection: string, now: number): ResumeOutcome {
    const s = this.get(previd);
    if (!s || s.account !== account || !s.resumable) {
      const ended = this.sql.exec<{ account: string; handled_in: number }>("SELECT account, handled_in FROM sm_ended WHERE id = ?", previd).toArray()[0];
      if (ended && ended.account === account) return { kind: "expired", handledIn: ended.handled_in };
      return { kind: "not-found" };
    }
    if (s.detachedSince !== null && now >= s.detachedSince + s.resumeWindow * 1000) {
      const e = this.end(previd, now);
      return { kind: "expired", handledIn: s.handledIn, ended: e ?? undefined };
    }
    const r = readAck(h, s.acked, s.sent);
    if (!r.ok) return { kind: "too-high", h, sendCount: r.sendCount };
    this.release(previd, r.released);
    this.sql.exec("UPDATE sm_queue SET on_wire = 1 WHERE session = ?", previd);
    this.sql.exec("UPDATE sm_sessions SET acked = ?, requested_at = NULL, connection = ?, detached_since = NULL WHERE id = ?", r.acked, connection, previd);
    this.reread(previd);
    return { kind: "resumed", handledIn: s.handledIn, resource: s.resource, previousConnection: s.connection, wasDetached: s.detachedSince !== null, stanzas: this.queue(previd) };
  }

  /**
   * Ends a session (window passed, queue overflow, clean close, account gone): forgets it
   * and its queue and returns what it held. A resumable one leaves its id and h behind,
   * so a later <resume/> is answered failed with h (§5).
   */
  end(id: string, now: number): Ended | null {
    const s = this.get(id);
    if (!s) return null;
    const held = this.queue(id);
    this.sql.exec("DELETE FROM sm_queue WHERE session = ?", id);
    this.sql.exec("DELETE FROM sm_sessions WHERE id = ?", id);
    this.rows.set(id, null);
    if (s.resumable) {
      this.sql.exec("INSERT OR REPLACE INTO sm_ended (id, account, handled_in, ended_at) VALUES (?, ?, ?, ?)", id, s.account, s.handledIn, now);
      this.pruneEnded(now);
    }
    return { id, account: s.account, resource: s.resource, connection: s.connection, handledIn: s.handledIn, held, rerouted: rerouteHeld(held, s.account) };
  }

  /**
   * The detached sessions whose window has passed, in order of expiry, left in place:
   * the caller hands what each holds to the account first and ends it after (docs/stream-management.md
   * §4.6), so a crash in between reroutes twice rather than never.
   */
  dueIds(now: number): string[] {
    return this.sql.exec<{ id: string }>(
      "SELECT id FROM sm_sessions WHERE detached_since IS NOT NULL AND detached_since + window_s * 1000 <= ? ORDER BY detached_since + window_s * 1000",
      now,
    ).toArray().map((r) => r.id);
  }

  /** Ends every detached session whose window has passed; in order of expiry. */
  expireDue(now: number): Ended[] {
    return this.dueIds(now).map((id) => this.end(id, now)).filter((e): e is Ended => e !== null);
  }

  /**
   * Removes a session and its queue and returns them, to move it into another object
   * (resumption lands on a new connection object). No tombstone: it lives on there.
   */
  exportSession(id: string): SmSnapshot | null {
    const s = this.get(id);
    if (!s) return null;
    // RETURNING gives no order guarantee: sort by position.
    const rows = this.sql.exec<{ pos: number; stanza: string; at: number; on_wire: number; replace_key: string | null }>(
      "DELETE FROM sm_queue WHERE session = ? RETURNING pos, stanza, at, on_wire, replace_key", id,
    ).toArray().sort((a, b) => a.pos - b.pos);
    this.sql.exec("DELETE FROM sm_sessions WHERE id = ?", id);
    this.rows.set(id, null);
    const { connection: _c, detachedSince: _d, requestedAt: _r, ...session } = s;
    return { session, rows: rows.map((r) => ({ stanza: r.stanza, at: r.at, onWire: !!r.on_wire, replaceKey: r.replace_key })) };
  }

  /**
   * Takes in a session moved from another object, attached to `connection`. Stanzas
   * already kept here under the same id (delivered to the new connection while the move
   * was under way) stay behind the imported queue and are counted after it. The caller
   * writes the whole queue right after <resumed/>, so every row now counts as on the wire.
   */
  importSession(snap: SmSnapshot, connection: string): SmSession {
    const id = snap.session.id;
    const pending = this.exportSession(id)?.rows ?? [];
    const s = snap.session;
    this.sql.exec(
      `INSERT INTO sm_sessions (id, account, resource, resumable, window_s, max_queue, handled_in, acked, connection)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id, s.account, s.resource, s.resumable ? 1 : 0, s.resumeWindow, s.maxQueue, s.handledIn, s.acked, connection,
    );
    for (const r of [...snap.rows, ...pending]) {
      this.sql.exec("INSERT INTO sm_queue (session, stanza, at, on_wire, replace_key) VALUES (?, ?, ?, 1, ?)", id, r.stanza, r.at, r.replaceKey);
    }
    this.reread(id);
    return this.get(id)!;
  }

  private pruneEnded(now: number): void {
    this.sql.exec("DELETE FROM sm_ended WHERE ended_at < ?", now - ENDED_KEEP_MS);
    this.sql.exec("DELETE FROM sm_ended WHERE id NOT IN (SELECT id FROM sm_ended ORDER BY ended_at DESC, rowid DESC LIMIT ?)", MAX_ENDED);
  }
}
