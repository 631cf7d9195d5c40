// Which tables an object's SQLite storage holds: read once per object instance (one
// query) and kept up by `ensureTable`. A store that makes its table only when it first
// writes answers a read of a table never made as empty, without creating it; so the login
// of an account that never had an offline message or a contact touches no schema (a
// CREATE TABLE, even IF NOT EXISTS, is parsed and checked each time; a new one rewrites
// the schema). Only tables made through `ensureTable` may be asked about with `hasTable`.
import { perStorage } from "./per-storage";

const tableSet = perStorage((sql) =>
  new Set(sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name)));

export function hasTable(sql: SqlStorage, name: string): boolean {
  return tableSet(sql).has(name);
}

/** Runs `ddl` (CREATE TABLE IF NOT EXISTS ..., in order) unless `name` exists; true when it was made now. */
export function ensureTable(sql: SqlStorage, name: string, ...ddl: string[]): boolean {
  const tables = tableSet(sql);
  if (tables.has(name)) return false;
  for (const statement of ddl) sql.exec(statement);
  tables.add(name);
  return true;
}
