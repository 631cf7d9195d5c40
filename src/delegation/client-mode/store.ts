// XEP-0355 client mode: a user's grants and pending requests, in the user's
// AccountObject (they persist, since the configure command lists them). Pending
// requests expire after REQUEST_TTL_MS and at most MAX_PENDING_REQUESTS are kept.
// References: XEP-0355 v0.5 §Client delegation, §Business rules 1-4.
import { forgetStorage, perStorage } from "../../storage/per-storage";

/** A pending request is forgotten this long after it was made (checked lazily, on use). */
export const REQUEST_TTL_MS = 24 * 60 * 60 * 1000;
/** Pending (manager, namespace) requests kept per user; a request that would exceed it is dropped. */
export const MAX_PENDING_REQUESTS = 20;

export interface Grant {
  manager: string;
  namespace: string;
}
export interface PendingAsk extends Grant {
  challenge: string;
}

export class ClientGrantStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number = Date.now,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS dlg_client_grant (manager TEXT NOT NULL, namespace TEXT NOT NULL, PRIMARY KEY (manager, namespace))");
    // The first version kept requests without an expiry, in dlg_client_request.
    sql.exec("DROP TABLE IF EXISTS dlg_client_request");
    sql.exec("CREATE TABLE IF NOT EXISTS dlg_client_ask (challenge TEXT NOT NULL, manager TEXT NOT NULL, namespace TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (manager, namespace))");
  }

  /** Lazy expiry: every read of the requests first forgets those past their time. */
  private expire(): void {
    this.sql.exec("DELETE FROM dlg_client_ask WHERE expires <= ?", this.now());
  }

  grants(): Grant[] {
    return this.sql.exec<{ manager: string; namespace: string }>("SELECT manager, namespace FROM dlg_client_grant ORDER BY manager, namespace").toArray();
  }

  requests(): PendingAsk[] {
    this.expire();
    return this.sql.exec<{ challenge: string; manager: string; namespace: string }>("SELECT challenge, manager, namespace FROM dlg_client_ask ORDER BY manager, namespace").toArray();
  }

  managerFor(namespace: string): string | null {
    const rows = this.sql.exec<{ manager: string }>("SELECT manager FROM dlg_client_grant WHERE namespace = ? ORDER BY manager LIMIT 1", namespace).toArray();
    return rows.length ? rows[0]!.manager : null;
  }

  /**
   * Stores a request (a repeated (manager, namespace) gets the new challenge and a new
   * expiry). False, and nothing stored, when the user would have more than
   * MAX_PENDING_REQUESTS pending.
   */
  ask(challenge: string, manager: string, namespaces: string[]): boolean {
    this.expire();
    const pending = this.sql.exec<{ manager: string; namespace: string }>("SELECT manager, namespace FROM dlg_client_ask").toArray();
    const added = namespaces.filter((ns) => !pending.some((p) => p.manager === manager && p.namespace === ns));
    if (pending.length + added.length > MAX_PENDING_REQUESTS) return false;
    const expires = this.now() + REQUEST_TTL_MS;
    for (const ns of namespaces) {
      this.sql.exec("INSERT OR REPLACE INTO dlg_client_ask (challenge, manager, namespace, expires) VALUES (?, ?, ?, ?)", challenge, manager, ns, expires);
    }
    return true;
  }

  /**
   * Applies the user's answers: `yes` grants (only what was requested or already granted),
   * anything else revokes / refuses. Returns the managers whose grants changed.
   */
  apply(answers: { manager: string; namespace: string; yes: boolean }[]): string[] {
    const changed = new Set<string>();
    this.expire();
    for (const a of answers) {
      const requested = this.sql.exec("SELECT 1 FROM dlg_client_ask WHERE manager = ? AND namespace = ?", a.manager, a.namespace).toArray().length > 0;
      const granted = this.sql.exec("SELECT 1 FROM dlg_client_grant WHERE manager = ? AND namespace = ?", a.manager, a.namespace).toArray().length > 0;
      this.sql.exec("DELETE FROM dlg_client_ask WHERE manager = ? AND namespace = ?", a.manager, a.namespace);
      if (a.yes && requested && !granted) {
        this.sql.exec("INSERT INTO dlg_client_grant (manager, namespace) VALUES (?, ?)", a.manager, a.namespace);
        changed.add(a.manager);
      } else if (!a.yes && granted) {
        this.sql.exec("DELETE FROM dlg_client_grant WHERE manager = ? AND namespace = ?", a.manager, a.namespace);
        changed.add(a.manager);
      }
    }
    return [...changed];
  }
}

/** The store of an object's SQLite (one per storage, tables made once). */
export const grantStore = perStorage((sql) => new ClientGrantStore(sql));

/**
 * Account deletion, before the storage is wiped: the user's grants, for
 * withdrawClientGrants. The cached stores are dropped, since their tables go with the storage.
 */
export function takeClientGrants(sql: SqlStorage): Grant[] {
  const grants = grantStore(sql).grants();
  forgetStorage(sql);
  return grants;
}
