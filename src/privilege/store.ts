// XEP-0356 bookkeeping kept in the SQLite of the object it belongs to:
//   - audit counters (in the entity's own object: ComponentRouter or AccountObject);
//   - the last presence each contact sent a managed account (for `presence: roster`,
//     replayed when an entity connects: XEP-0356 §7 business rule 1);
//   - privileged IQs waiting for their answer (in the managed account's object);
//   - the last presence per full JID sent to a component (de-duplication, §7 rule 2).
const ready = new WeakSet<SqlStorage>();

function init(sql: SqlStorage): SqlStorage {
  if (ready.has(sql)) return sql;
  sql.exec("CREATE TABLE IF NOT EXISTS priv_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS priv_contact_presence (jid TEXT PRIMARY KEY, stanza TEXT NOT NULL)");
  sql.exec(`CREATE TABLE IF NOT EXISTS priv_pending (
    id TEXT PRIMARY KEY, peer TEXT NOT NULL, entity TEXT NOT NULL, entity_jid TEXT NOT NULL,
    outer_id TEXT NOT NULL, expires INTEGER NOT NULL)`);
  sql.exec("CREATE TABLE IF NOT EXISTS priv_last_presence (jid TEXT PRIMARY KEY, canon TEXT NOT NULL, stanza TEXT NOT NULL, available INTEGER NOT NULL)");
  ready.add(sql);
  return sql;
}

// ---- audit counters ------------------------------------------------------------------

export function countPrivilege(sql: SqlStorage, key: string): void {
  init(sql).exec("INSERT INTO priv_counts (key, n) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1", key);
}

export function privilegeCounts(sql: SqlStorage): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of init(sql).exec<{ key: string; n: number }>("SELECT key, n FROM priv_counts ORDER BY key").toArray()) out[r.key] = r.n;
  return out;
}

// ---- contacts' presences received by a managed account -------------------------------

export function rememberContactPresence(sql: SqlStorage, jid: string, stanza: string | null): void {
  if (stanza === null) init(sql).exec("DELETE FROM priv_contact_presence WHERE jid = ?", jid);
  else init(sql).exec("INSERT INTO priv_contact_presence (jid, stanza) VALUES (?, ?) ON CONFLICT(jid) DO UPDATE SET stanza = excluded.stanza", jid, stanza);
}

export function contactPresences(sql: SqlStorage): string[] {
  return init(sql).exec<{ stanza: string }>("SELECT stanza FROM priv_contact_presence ORDER BY jid").toArray().map((r) => r.stanza);
}

// ---- privileged IQs waiting for an answer ----------------------------------------------

export interface PendingIq {
  /** The encapsulated IQ's id. */
  id: string;
  /** Where it was sent (its `to`). */
  peer: string;
  entity: string;
  /** The JID the privileged IQ came from: the wrapped answer goes there. */
  entityJid: string;
  outerId: string;
  expires: number;
}

export function addPending(sql: SqlStorage, p: PendingIq): void {
  init(sql).exec(
    "INSERT OR REPLACE INTO priv_pending (id, peer, entity, entity_jid, outer_id, expires) VALUES (?, ?, ?, ?, ?, ?)",
    p.id, p.peer, p.entity, p.entityJid, p.outerId, p.expires,
  );
}

type PendingRow = { id: string; peer: string; entity: string; entity_jid: string; outer_id: string; expires: number };
const toPending = (r: PendingRow): PendingIq => ({ id: r.id, peer: r.peer, entity: r.entity, entityJid: r.entity_jid, outerId: r.outer_id, expires: r.expires });

/** Removes and returns the pending entry for an answer with this id. */
export function takePending(sql: SqlStorage, id: string): PendingIq | null {
  const row = init(sql).exec<PendingRow>("SELECT * FROM priv_pending WHERE id = ?", id).toArray()[0];
  if (!row) return null;
  sql.exec("DELETE FROM priv_pending WHERE id = ?", id);
  return toPending(row);
}

/** Removes and returns the entries whose deadline passed. */
export function takeExpired(sql: SqlStorage, now: number): PendingIq[] {
  const rows = init(sql).exec<PendingRow>("SELECT * FROM priv_pending WHERE expires <= ?", now).toArray();
  if (rows.length) sql.exec("DELETE FROM priv_pending WHERE expires <= ?", now);
  return rows.map(toPending);
}

export function nextDeadline(sql: SqlStorage): number | null {
  const r = init(sql).exec<{ t: number | null }>("SELECT MIN(expires) AS t FROM priv_pending").toArray()[0];
  return r?.t ?? null;
}

// ---- the last presence per full JID that reached a component's router -------------------
// Recorded whether or not the component is connected at that moment, so that it doubles as
// "the presences the entity would have had" when it connects (XEP-0356 §7 rule 1).

/** Records a presence from `jid`; false when it equals the previous one (§7 rule 2). */
export function freshPresence(sql: SqlStorage, jid: string, canon: string, stanza: string, available: boolean): boolean {
  const prev = init(sql).exec<{ canon: string }>("SELECT canon FROM priv_last_presence WHERE jid = ?", jid).toArray()[0];
  if (prev?.canon === canon) return false;
  sql.exec(
    "INSERT INTO priv_last_presence (jid, canon, stanza, available) VALUES (?, ?, ?, ?) ON CONFLICT(jid) DO UPDATE SET canon = excluded.canon, stanza = excluded.stanza, available = excluded.available",
    jid, canon, stanza, available ? 1 : 0,
  );
  return true;
}

/** The last available presences recorded, by full JID. */
export function lastAvailablePresences(sql: SqlStorage): Array<{ jid: string; stanza: string }> {
  return init(sql).exec<{ jid: string; stanza: string }>("SELECT jid, stanza FROM priv_last_presence WHERE available = 1 ORDER BY jid").toArray();
}

export function forgetSentPresences(sql: SqlStorage): void {
  init(sql).exec("DELETE FROM priv_last_presence");
}
