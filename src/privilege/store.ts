// XEP-0356 bookkeeping kept in the SQLite of the object it belongs to:
//   - audit counters (in the entity's own object: ComponentRouter or AccountObject);
//   - the last presence each contact sent a managed account (for `presence: roster`,
//     replayed when an entity connects: XEP-0356 §7 business rule 1);
//   - privileged IQs waiting for their answer (in the managed account's object);
//   - the last presence per full JID sent to a component (de-duplication, §7 rule 2).
import { perStorage } from "../storage/per-storage";

const init = perStorage((sql) => {
  sql.exec("CREATE TABLE IF NOT EXISTS priv_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS priv_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, entry TEXT NOT NULL)");
  sql.exec("CREATE TABLE IF NOT EXISTS priv_contact_presence (jid TEXT PRIMARY KEY, stanza TEXT NOT NULL)");
  // The first layout keyed pending IQs by the entity's own inner id; its rows live seconds.
  sql.exec("DROP TABLE IF EXISTS priv_pending");
  sql.exec(`CREATE TABLE IF NOT EXISTS priv_iq_pending (
    id TEXT PRIMARY KEY, inner_id TEXT NOT NULL, peer TEXT NOT NULL, entity TEXT NOT NULL, entity_jid TEXT NOT NULL,
    outer_id TEXT NOT NULL, expires INTEGER NOT NULL)`);
  sql.exec("CREATE TABLE IF NOT EXISTS priv_last_presence (jid TEXT PRIMARY KEY, canon TEXT NOT NULL, stanza TEXT NOT NULL, available INTEGER NOT NULL)");
  // Unavailable presences used to be kept here; rows are now only for available JIDs.
  sql.exec("DELETE FROM priv_last_presence WHERE available = 0");
  return sql;
});

// ---- audit counters ------------------------------------------------------------------

export function countPrivilege(sql: SqlStorage, key: string): void {
  init(sql).exec("INSERT INTO priv_counts (key, n) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1", key);
}

/** The last privileged actions an entity's object keeps (newest last). */
export const MAX_AUDIT_LOG = 20;

/** One privileged action, as the admin API shows it (the log line's fields and a time). */
export interface AuditEntry {
  at: string;
  access: string;
  action: string;
  outcome: string;
  user?: string;
  detail?: string;
}

/** Counts an action under its finer key (access and action) and keeps its entry among the last ones. */
export function recordAuditDetail(sql: SqlStorage, detail: AuditDetail): void {
  countPrivilege(sql, detail.key);
  const db = init(sql);
  db.exec("INSERT INTO priv_log (at, entry) VALUES (?, ?)", Date.now(), JSON.stringify(detail.entry));
  db.exec("DELETE FROM priv_log WHERE seq <= (SELECT MAX(seq) FROM priv_log) - ?", MAX_AUDIT_LOG);
}

export function auditLog(sql: SqlStorage): AuditEntry[] {
  return init(sql).exec<{ at: number; entry: string }>("SELECT at, entry FROM priv_log ORDER BY seq").toArray()
    .map((r) => ({ at: new Date(r.at).toISOString(), ...(JSON.parse(r.entry) as Omit<AuditEntry, "at">) }));
}

/** What an audit adds to the access/outcome counter: the finer key and the entry. */
export interface AuditDetail {
  key: string;
  entry: Omit<AuditEntry, "at">;
}

export function privilegeCounts(sql: SqlStorage): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of init(sql).exec<{ key: string; n: number }>("SELECT key, n FROM priv_counts ORDER BY key").toArray()) out[r.key] = r.n;
  return out;
}

// ---- contacts' presences received by a managed account -------------------------------
// Only presences of roster contacts the account is subscribed to (XEP-0356 §4.5.2), and
// bounded: a presence larger than MAX_STORED_PRESENCE is not kept, nor a new JID once
// MAX_CONTACT_PRESENCES are.

export const MAX_CONTACT_PRESENCES = 1000;
export const MAX_STORED_PRESENCE = 16 * 1024;

/** Stores (or with null forgets) the last presence of `jid`. False when it was not kept (limits). */
export function rememberContactPresence(sql: SqlStorage, jid: string, stanza: string | null): boolean {
  const db = init(sql);
  if (stanza === null || stanza.length > MAX_STORED_PRESENCE) {
    db.exec("DELETE FROM priv_contact_presence WHERE jid = ?", jid);
    return stanza === null;
  }
  const known = db.exec<{ n: number }>("SELECT COUNT(*) AS n FROM priv_contact_presence WHERE jid = ?", jid).one().n > 0;
  if (!known && db.exec<{ n: number }>("SELECT COUNT(*) AS n FROM priv_contact_presence").one().n >= MAX_CONTACT_PRESENCES) return false;
  db.exec("INSERT INTO priv_contact_presence (jid, stanza) VALUES (?, ?) ON CONFLICT(jid) DO UPDATE SET stanza = excluded.stanza", jid, stanza);
  return true;
}

/** Whether a presence of `jid` is stored. */
export function hasContactPresence(sql: SqlStorage, jid: string): boolean {
  return init(sql).exec<{ n: number }>("SELECT COUNT(*) AS n FROM priv_contact_presence WHERE jid = ?", jid).one().n > 0;
}

export function contactPresences(sql: SqlStorage): Array<{ jid: string; stanza: string }> {
  return init(sql).exec<{ jid: string; stanza: string }>("SELECT jid, stanza FROM priv_contact_presence ORDER BY jid").toArray();
}

export function forgetContactPresence(sql: SqlStorage, jid: string): void {
  init(sql).exec("DELETE FROM priv_contact_presence WHERE jid = ?", jid);
}

// ---- privileged IQs waiting for an answer ----------------------------------------------
// The encapsulated IQ leaves with an id of ours (`id`), never the entity's (`innerId`), so
// that no two entities' IQs share a row and nobody can guess which answer is awaited.

export interface PendingIq {
  /** The id the encapsulated IQ was sent with (server-generated). */
  id: string;
  /** The entity's own id for the encapsulated IQ, restored in the wrapped answer. */
  innerId: string;
  /** Where it was sent (its `to`): the only JID whose answer is accepted. */
  peer: string;
  entity: string;
  /** The JID the privileged IQ came from: the wrapped answer goes there. */
  entityJid: string;
  outerId: string;
  expires: number;
}

export function addPending(sql: SqlStorage, p: PendingIq): void {
  init(sql).exec(
    "INSERT INTO priv_iq_pending (id, inner_id, peer, entity, entity_jid, outer_id, expires) VALUES (?, ?, ?, ?, ?, ?, ?)",
    p.id, p.innerId, p.peer, p.entity, p.entityJid, p.outerId, p.expires,
  );
}

type PendingRow = { id: string; inner_id: string; peer: string; entity: string; entity_jid: string; outer_id: string; expires: number };
const toPending = (r: PendingRow): PendingIq => ({
  id: r.id, innerId: r.inner_id, peer: r.peer, entity: r.entity, entityJid: r.entity_jid, outerId: r.outer_id, expires: r.expires,
});

/** The pending entry for an answer with this id, left in place. */
export function findPending(sql: SqlStorage, id: string): PendingIq | null {
  const row = init(sql).exec<PendingRow>("SELECT * FROM priv_iq_pending WHERE id = ?", id).toArray()[0];
  return row ? toPending(row) : null;
}

/** Removes the pending entry with this id; false when there was none (already answered or expired). */
export function dropPending(sql: SqlStorage, id: string): boolean {
  const db = init(sql);
  if (db.exec<{ n: number }>("SELECT COUNT(*) AS n FROM priv_iq_pending WHERE id = ?", id).one().n === 0) return false;
  db.exec("DELETE FROM priv_iq_pending WHERE id = ?", id);
  return true;
}

/** Removes and returns the entries whose deadline passed. */
export function takeExpired(sql: SqlStorage, now: number): PendingIq[] {
  const rows = init(sql).exec<PendingRow>("SELECT * FROM priv_iq_pending WHERE expires <= ?", now).toArray();
  if (rows.length) sql.exec("DELETE FROM priv_iq_pending WHERE expires <= ?", now);
  return rows.map(toPending);
}

export function nextDeadline(sql: SqlStorage): number | null {
  const r = init(sql).exec<{ t: number | null }>("SELECT MIN(expires) AS t FROM priv_iq_pending").toArray()[0];
  return r?.t ?? null;
}

// ---- the last presence per full JID a component was sent under its grant ---------------
// Recorded whether or not the component is connected at that moment, so that it doubles as
// "the presences the entity would have had" when it connects (XEP-0356 §7 rule 1). An
// unavailable presence removes the row: what is left is what the component believes available.

/** Full JIDs whose last presence a component's mailbox remembers (§7 rule 2 de-duplication). */
export const MAX_COMPONENT_PRESENCES = 10_000;

/**
 * The table with its row count kept in memory (a COUNT(*) per presence would read every
 * row), and whether a JID's available presence was delivered without being remembered
 * (past the bound): from then on an unavailable presence from a JID without a row is
 * delivered too, since it may be one of those, and the component must not keep a ghost.
 * The mark is cleared with the table when the component connects (the rows are rebuilt).
 */
class SentPresences {
  private count: number;
  private overflowed: boolean;

  constructor(private readonly sql: SqlStorage) {
    init(sql).exec("CREATE TABLE IF NOT EXISTS priv_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    this.count = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM priv_last_presence").one().n;
    this.overflowed = sql.exec("SELECT 1 FROM priv_meta WHERE key = 'presence_overflow'").toArray().length > 0;
  }

  fresh(jid: string, canon: string, stanza: string, available: boolean): boolean {
    const prev = this.sql.exec<{ canon: string }>("SELECT canon FROM priv_last_presence WHERE jid = ?", jid).toArray()[0];
    if (!available) {
      if (!prev) return this.overflowed;
      this.sql.exec("DELETE FROM priv_last_presence WHERE jid = ?", jid);
      this.count--;
      return true;
    }
    if (prev?.canon === canon) return false;
    // Bounded: past MAX_COMPONENT_PRESENCES full JIDs a new one is still delivered, not remembered.
    if (!prev && this.count >= MAX_COMPONENT_PRESENCES) {
      if (!this.overflowed) this.sql.exec("INSERT OR REPLACE INTO priv_meta (key, value) VALUES ('presence_overflow', 1)");
      this.overflowed = true;
      return true;
    }
    this.sql.exec(
      "INSERT INTO priv_last_presence (jid, canon, stanza, available) VALUES (?, ?, ?, 1) ON CONFLICT(jid) DO UPDATE SET canon = excluded.canon, stanza = excluded.stanza, available = 1",
      jid, canon, stanza,
    );
    if (!prev) this.count++;
    return true;
  }

  forget(): void {
    this.sql.exec("DELETE FROM priv_last_presence");
    this.sql.exec("DELETE FROM priv_meta WHERE key = 'presence_overflow'");
    this.count = 0;
    this.overflowed = false;
  }
}

const sentPresences = perStorage((sql) => new SentPresences(sql));

/**
 * Records a presence from `jid`; false when the component already has it (§7 rule 2):
 * an available presence identical to the last one, or an unavailable one after which
 * nothing is recorded (it never had that JID available, or already heard it leave).
 */
export function freshPresence(sql: SqlStorage, jid: string, canon: string, stanza: string, available: boolean): boolean {
  return sentPresences(sql).fresh(jid, canon, stanza, available);
}

/** The last available presences recorded, by full JID. */
export function lastAvailablePresences(sql: SqlStorage): Array<{ jid: string; stanza: string }> {
  return init(sql).exec<{ jid: string; stanza: string }>("SELECT jid, stanza FROM priv_last_presence WHERE available = 1 ORDER BY jid").toArray();
}

export function forgetSentPresences(sql: SqlStorage): void {
  sentPresences(sql).forget();
}
