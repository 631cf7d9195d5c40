// An account's roster in its object's SQLite storage (RFC 6121 §2), with a single
// version counter for roster versioning (RFC 6121 §2.6).
import type { ContactState, Subscription } from "./subscription";
import { ensureTable, hasTable } from "../storage/tables";

export interface RosterItem {
  jid: string;
  name: string | null;
  groups: string[];
  state: ContactState;
  /** The inbound subscribe request kept while it is pending (RFC 6121 §3.1.3). */
  pendingStanza: string | null;
}

/** Characters of JIDs, names and groups one roster may hold per item it may hold
 *  (`limits.max_roster_items`): 2,100,000 at the default 5,000. With the item bound and the
 *  per-item bounds alone (src/im/roster-iq.ts) a roster could reach hundreds of MiB, which a
 *  roster get would read into one object's memory; typical items take well under 100. */
export const ROSTER_CHARS_PER_ITEM = 420;

/** What an item counts against the roster's characters (the same sum as RosterStore.chars()). */
export function itemChars(item: Pick<RosterItem, "jid" | "name" | "groups">): number {
  return item.jid.length + (item.name?.length ?? 0) + JSON.stringify(item.groups).length;
}

type Row = {
  jid: string; name: string | null; groups: string; subscription: string;
  ask_out: number; pending_in: number; in_roster: number; pending_stanza: string | null;
};

export class RosterStore {
  /** The tables are made with the first write: an account without contacts reads an empty roster. */
  constructor(private readonly sql: SqlStorage) {}

  private exists(): boolean {
    return hasTable(this.sql, "roster");
  }

  private make(): void {
    // roster_version first: "roster" stands for both (ensureTable records it last).
    ensureTable(this.sql, "roster",
      `CREATE TABLE IF NOT EXISTS roster_version (id INTEGER PRIMARY KEY CHECK (id = 1), ver INTEGER NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS roster (
      jid TEXT PRIMARY KEY, name TEXT, groups TEXT NOT NULL DEFAULT '[]',
      subscription TEXT NOT NULL DEFAULT 'none', ask_out INTEGER NOT NULL DEFAULT 0,
      pending_in INTEGER NOT NULL DEFAULT 0, in_roster INTEGER NOT NULL DEFAULT 0, pending_stanza TEXT)`);
  }

  private static toItem(r: Row): RosterItem {
    return {
      jid: r.jid,
      name: r.name,
      groups: JSON.parse(r.groups) as string[],
      state: { subscription: r.subscription as Subscription, askOut: !!r.ask_out, pendingIn: !!r.pending_in, inRoster: !!r.in_roster },
      pendingStanza: r.pending_stanza,
    };
  }

  version(): number {
    if (!this.exists()) return 0;
    const rows = this.sql.exec<{ ver: number }>("SELECT ver FROM roster_version WHERE id = 1").toArray();
    return rows[0]?.ver ?? 0;
  }

  private bump(): number {
    return this.sql.exec<{ ver: number }>(
      "INSERT INTO roster_version (id, ver) VALUES (1, 1) ON CONFLICT(id) DO UPDATE SET ver = ver + 1 RETURNING ver",
    ).one().ver;
  }

  get(jid: string): RosterItem | null {
    if (!this.exists()) return null;
    const rows = this.sql.exec<Row>("SELECT * FROM roster WHERE jid = ?", jid).toArray();
    return rows[0] ? RosterStore.toItem(rows[0]) : null;
  }

  /** Items visible in the roster (a contact that only asked to subscribe is not one). */
  items(): RosterItem[] {
    if (!this.exists()) return [];
    return this.sql.exec<Row>("SELECT * FROM roster WHERE in_roster = 1 ORDER BY jid").toArray().map(RosterStore.toItem);
  }

  /** How many items are visible in the roster (what the roster bound counts). */
  count(): number {
    if (!this.exists()) return 0;
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM roster WHERE in_roster = 1").one().n;
  }

  /** Characters of JIDs, names and groups over every stored item (see itemChars). */
  chars(): number {
    if (!this.exists()) return 0;
    return this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(length(jid) + COALESCE(length(name), 0) + length(groups)), 0) AS n FROM roster").one().n;
  }

  /** Every stored item, visible or not (pending requests included). */
  all(): RosterItem[] {
    if (!this.exists()) return [];
    return this.sql.exec<Row>("SELECT * FROM roster ORDER BY jid").toArray().map(RosterStore.toItem);
  }

  /** Contacts whose subscription satisfies `pred`, e.g. broadcast or probe targets. */
  contacts(pred: (s: Subscription) => boolean): string[] {
    if (!this.exists()) return [];
    return this.sql.exec<{ jid: string; subscription: string }>("SELECT jid, subscription FROM roster WHERE subscription != 'none'")
      .toArray().filter((r) => pred(r.subscription as Subscription)).map((r) => r.jid);
  }

  /** Pending inbound requests, in all or from one sender key (a bare JID, or a domain and every JID at it). */
  pendingCount(sender?: string): number {
    if (!this.exists()) return 0;
    const q = "SELECT COUNT(*) AS n FROM roster WHERE pending_in = 1";
    if (sender === undefined) return this.sql.exec<{ n: number }>(q).one().n;
    return this.sql.exec<{ n: number }>(`${q} AND (jid = ? OR substr(jid, -?) = ?)`, sender, sender.length + 1, `@${sender}`).one().n;
  }

  pendingRequests(): RosterItem[] {
    if (!this.exists()) return [];
    return this.sql.exec<Row>("SELECT * FROM roster WHERE pending_in = 1").toArray().map(RosterStore.toItem);
  }

  /** Writes an item and returns the new roster version. */
  put(item: RosterItem): number {
    this.make();
    this.sql.exec(
      `INSERT INTO roster (jid, name, groups, subscription, ask_out, pending_in, in_roster, pending_stanza)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(jid) DO UPDATE SET name = excluded.name, groups = excluded.groups, subscription = excluded.subscription,
         ask_out = excluded.ask_out, pending_in = excluded.pending_in, in_roster = excluded.in_roster, pending_stanza = excluded.pending_stanza`,
      item.jid, item.name, JSON.stringify(item.groups), item.state.subscription,
      item.state.askOut ? 1 : 0, item.state.pendingIn ? 1 : 0, item.state.inRoster ? 1 : 0, item.pendingStanza,
    );
    return this.bump();
  }

  remove(jid: string): number {
    this.make();
    this.sql.exec("DELETE FROM roster WHERE jid = ?", jid);
    return this.bump();
  }
}
