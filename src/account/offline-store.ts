// Messages kept while no resource can take them (RFC 6121 §8.5.2.1.1, XEP-0160),
// delivered on the next initial presence with a XEP-0203 delay stamp.
export const MAX_OFFLINE_MESSAGES = 1000;

export class OfflineStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS offline (id INTEGER PRIMARY KEY AUTOINCREMENT, stanza TEXT NOT NULL)`);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM offline").one().n;
  }

  /** Stores a message; false when the store is full. */
  add(stanza: string): boolean {
    if (this.count() >= MAX_OFFLINE_MESSAGES) return false;
    this.sql.exec("INSERT INTO offline (stanza) VALUES (?)", stanza);
    return true;
  }

  /** Removes and returns every stored message, oldest first. */
  take(): string[] {
    return this.sql.exec<{ id: number; stanza: string }>("DELETE FROM offline RETURNING id, stanza").toArray()
      .sort((a, b) => a.id - b.id)
      .map((r) => r.stanza);
  }
}
