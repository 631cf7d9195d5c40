// When a component connected or disconnected last, kept in its ComponentRouter's SQLite
// for the admin API (GET /admin/components). Registered as a component feature that does
// nothing but note the time, so it never changes what the component sees.
import { registerComponentFeature } from "../component/hooks";

export interface ComponentStatus {
  connected: boolean;
  /** Epoch ms of the last connection or disconnection; null when never seen. */
  since: number | null;
}

const ready = new WeakSet<SqlStorage>();

function init(sql: SqlStorage): SqlStorage {
  if (!ready.has(sql)) {
    sql.exec("CREATE TABLE IF NOT EXISTS admin_component_status (id INTEGER PRIMARY KEY CHECK (id = 1), connected INTEGER NOT NULL, since INTEGER NOT NULL)");
    ready.add(sql);
  }
  return sql;
}

function note(sql: SqlStorage, connected: boolean): void {
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

registerComponentFeature({
  async connected(router) {
    note(router.store.sql, true);
  },
  async disconnected(router) {
    note(router.store.sql, false);
  },
});
