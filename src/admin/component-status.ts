// When a component connected or disconnected last, kept in its mailbox's SQLite for the
// admin API (GET /admin/components); ./component-status-feature.ts notes the times.
import { perStorage } from "../storage/per-storage";

export interface ComponentStatus {
  connected: boolean;
  /** Epoch ms of the last connection or disconnection; null when never seen. */
  since: number | null;
}

const init = perStorage((sql) => {
  sql.exec("CREATE TABLE IF NOT EXISTS admin_component_status (id INTEGER PRIMARY KEY CHECK (id = 1), connected INTEGER NOT NULL, since INTEGER NOT NULL)");
  return sql;
});

export function noteConnection(sql: SqlStorage, connected: boolean): void {
  init(sql).exec(
    "INSERT INTO admin_component_status (id, connected, since) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET connected = excluded.connected, since = excluded.since",
    connected ? 1 : 0, Date.now(),
  );
}

/** `connectedNow` is the router's own view (a current session), which wins over the note. */
export function componentStatus(sql: SqlStorage, connectedNow: boolean): ComponentStatus {
  const row = init(sql).exec<{ connected: number; since: number }>("SELECT connected, since FROM admin_component_status WHERE id = 1").toArray()[0];
  if (!row) return { connected: connectedNow, since: null };
  return { connected: connectedNow, since: !!row.connected === connectedNow ? row.since : null };
}
