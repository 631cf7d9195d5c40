// The presence held back from an inactive client (XEP-0352, ./csi.ts), kept in a
// Durable Object's SQLite so that a restart loses nothing: latest per sender, bounded.
// Per owner (the connection, or the stream-management session id), so one table can
// serve any object. Past MAX_HELD senders nothing more is held: the caller flushes.
//
// A flush returns the held stanzas in the order their latest version arrived.
import type { CsiState } from "./csi";

export const MAX_HELD = 100;

export type HoldOutcome =
  /** Held (a previous presence of the same sender, if any, is replaced). */
  | { kind: "held" }
  /** The buffer is full: these (everything held, then the new stanza) go out now, in order. */
  | { kind: "flush"; stanzas: string[] };

export class CsiStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS csi_state (owner TEXT PRIMARY KEY, inactive INTEGER NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS csi_held (
      pos INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, sender TEXT NOT NULL, stanza TEXT NOT NULL,
      UNIQUE (owner, sender))`);
  }

  state(owner: string): CsiState {
    const r = this.sql.exec<{ inactive: number }>("SELECT inactive FROM csi_state WHERE owner = ?", owner).toArray()[0];
    return r?.inactive ? "inactive" : "active";
  }

  /**
   * Sets the state. Going active returns the held presence to deliver now (flushed
   * and forgotten); going inactive (or staying in a state) returns nothing.
   */
  setState(owner: string, state: CsiState): string[] {
    if (state === "inactive") {
      this.sql.exec("INSERT INTO csi_state (owner, inactive) VALUES (?, 1) ON CONFLICT(owner) DO UPDATE SET inactive = 1", owner);
      return [];
    }
    this.sql.exec("DELETE FROM csi_state WHERE owner = ?", owner);
    return this.take(owner);
  }

  /** Holds `stanza`, the latest presence from `sender`. */
  hold(owner: string, sender: string, stanza: string): HoldOutcome {
    const replaced = this.sql.exec("DELETE FROM csi_held WHERE owner = ? AND sender = ? RETURNING pos", owner, sender).toArray().length > 0;
    if (!replaced && this.count(owner) >= MAX_HELD) return { kind: "flush", stanzas: [...this.take(owner), stanza] };
    this.sql.exec("INSERT INTO csi_held (owner, sender, stanza) VALUES (?, ?, ?)", owner, sender, stanza);
    return { kind: "held" };
  }

  count(owner: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM csi_held WHERE owner = ?", owner).one().n;
  }

  /** Everything held for `owner`, oldest first, now forgotten (flush on active, or the session ends). */
  take(owner: string): string[] {
    // RETURNING gives no order guarantee: sort by arrival.
    return this.sql.exec<{ stanza: string; pos: number }>("DELETE FROM csi_held WHERE owner = ? RETURNING stanza, pos", owner).toArray()
      .sort((a, b) => a.pos - b.pos)
      .map((r) => r.stanza);
  }

  /** Forgets the owner's state and buffer (the stream ended). Returns what was held. */
  forget(owner: string): string[] {
    this.sql.exec("DELETE FROM csi_state WHERE owner = ?", owner);
    return this.take(owner);
  }
}
