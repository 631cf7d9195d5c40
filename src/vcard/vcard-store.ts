// One vCard per account (XEP-0054) in the account object's SQLite storage.
import { utf8Length } from "../xml/frame-parser";

/**
 * Bytes of one stored vCard. A vcard-temp PHOTO carries the avatar inline in base64
 * (XEP-0153), so the bound leaves room for a ~95 KB image while staying at half of the
 * gateway's 256 KiB stanza limit.
 */
export const MAX_VCARD_BYTES = 128 * 1024;

export class VcardStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS vcard (id INTEGER PRIMARY KEY CHECK (id = 1), xml TEXT NOT NULL)");
  }

  get(): string | null {
    return this.sql.exec<{ xml: string }>("SELECT xml FROM vcard WHERE id = 1").toArray()[0]?.xml ?? null;
  }

  /** Stores the vCard; false (and nothing stored) when it is over MAX_VCARD_BYTES. */
  set(xmlText: string): boolean {
    if (utf8Length(xmlText) > MAX_VCARD_BYTES) return false;
    this.sql.exec("INSERT INTO vcard (id, xml) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET xml = excluded.xml", xmlText);
    return true;
  }

  /** Forgets the vCard (the account is being removed). */
  deleteAll(): void {
    this.sql.exec("DELETE FROM vcard");
  }
}
