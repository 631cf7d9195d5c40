// XEP-0049 private XML storage: one entry per namespace, in the account object's
// SQLite storage, bounded in bytes per account.
import { utf8Length } from "../xml/frame-parser";

/** Bytes stored per account, all namespaces together (bookmarks and client settings fit easily). */
export const MAX_PRIVATE_BYTES = 256 * 1024;

export class PrivateStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS private_xml (ns TEXT PRIMARY KEY, xml TEXT NOT NULL, bytes INTEGER NOT NULL)");
  }

  /** The stored fragment (one or more elements in `ns`, serialised), or null. */
  get(ns: string): string | null {
    return this.sql.exec<{ xml: string }>("SELECT xml FROM private_xml WHERE ns = ?", ns).toArray()[0]?.xml ?? null;
  }

  bytes(): number {
    return this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(bytes), 0) AS n FROM private_xml").one().n;
  }

  /** Replaces the fragment of `ns`; false (nothing changed) when the account would go over its bound. */
  set(ns: string, xmlText: string): boolean {
    const size = utf8Length(xmlText);
    const current = this.sql.exec<{ bytes: number }>("SELECT bytes FROM private_xml WHERE ns = ?", ns).toArray()[0]?.bytes ?? 0;
    if (this.bytes() - current + size > MAX_PRIVATE_BYTES) return false;
    this.sql.exec("INSERT INTO private_xml (ns, xml, bytes) VALUES (?, ?, ?) ON CONFLICT(ns) DO UPDATE SET xml = excluded.xml, bytes = excluded.bytes",
      ns, xmlText, size);
    return true;
  }

  /** Forgets everything (the account is being removed). */
  deleteAll(): void {
    this.sql.exec("DELETE FROM private_xml");
  }
}
