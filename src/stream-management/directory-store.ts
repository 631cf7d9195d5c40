// The account's directory of its stream-management sessions: which connection object
// holds each resumable session (by its id), so that a <resume previid/> on a new
// connection, which knows only its account and the id, finds the old one. Kept in the
// account object (see docs/stream-management.md): reachable by bare JID, single-threaded, and the owner
// of the resources table that decides delivery, so the takeover is one step there.
//
// A row stays for a while after its session ended, so that a late <resume/> still
// reaches the old connection object, which answers failed with the session's h.
import { ENDED_KEEP_MS, MAX_ENDED } from "./session-store";

export interface DirectoryEntry {
  id: string;
  resource: string;
  connection: string;
  /** When the session ended (ms), null while it lives. */
  endedAt: number | null;
  /** Set while a resumption moves the session to `movingTo` (see docs/stream-management.md). */
  movingTo: string | null;
}

type Row = { id: string; resource: string; connection: string; ended_at: number | null; moving_to: string | null };

const toEntry = (r: Row): DirectoryEntry => ({ id: r.id, resource: r.resource, connection: r.connection, endedAt: r.ended_at, movingTo: r.moving_to });

export class SmDirectory {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS sm_directory (
      id TEXT PRIMARY KEY, resource TEXT NOT NULL, connection TEXT NOT NULL, ended_at INTEGER, moving_to TEXT)`);
  }

  /** A resumable session was enabled on `connection` for `resource`. Any earlier live entry of the resource ends. */
  register(id: string, resource: string, connection: string, now: number): void {
    this.sql.exec("UPDATE sm_directory SET ended_at = ? WHERE resource = ? AND ended_at IS NULL", now, resource);
    this.sql.exec("INSERT OR REPLACE INTO sm_directory (id, resource, connection) VALUES (?, ?, ?)", id, resource, connection);
    this.prune(now);
  }

  get(id: string): DirectoryEntry | null {
    const r = this.sql.exec<Row>("SELECT * FROM sm_directory WHERE id = ?", id).toArray()[0];
    return r ? toEntry(r) : null;
  }

  /** The live session of a resource, if any. */
  live(resource: string): DirectoryEntry | null {
    const r = this.sql.exec<Row>("SELECT * FROM sm_directory WHERE resource = ? AND ended_at IS NULL", resource).toArray()[0];
    return r ? toEntry(r) : null;
  }

  /** A resumption starts moving the session; false when another move is under way or it ended. */
  beginMove(id: string, to: string): boolean {
    const e = this.get(id);
    if (!e || e.endedAt !== null || e.movingTo !== null) return false;
    this.sql.exec("UPDATE sm_directory SET moving_to = ? WHERE id = ?", to, id);
    return true;
  }

  /** The move is done: the session lives in the new connection object. */
  finishMove(id: string): void {
    this.sql.exec("UPDATE sm_directory SET connection = moving_to, moving_to = NULL WHERE id = ? AND moving_to IS NOT NULL", id);
  }

  /** The move failed (h too high, session gone): the session stays where it was. */
  abortMove(id: string): void {
    this.sql.exec("UPDATE sm_directory SET moving_to = NULL WHERE id = ?", id);
  }

  ended(id: string, now: number): void {
    this.sql.exec("UPDATE sm_directory SET ended_at = ?, moving_to = NULL WHERE id = ? AND ended_at IS NULL", now, id);
    this.prune(now);
  }

  private prune(now: number): void {
    this.sql.exec("DELETE FROM sm_directory WHERE ended_at IS NOT NULL AND ended_at < ?", now - ENDED_KEEP_MS);
    this.sql.exec(
      `DELETE FROM sm_directory WHERE ended_at IS NOT NULL AND id NOT IN
       (SELECT id FROM sm_directory WHERE ended_at IS NOT NULL ORDER BY ended_at DESC, rowid DESC LIMIT ?)`,
      MAX_ENDED,
    );
  }
}
