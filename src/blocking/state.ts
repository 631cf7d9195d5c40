// A user's blocklist as the pipeline reads it: the stored list (cached as a Set, read on
// every stanza to and from the account) and which sessions asked for it (they get pushes).
import type { Account } from "../im/account";
import { perStorage } from "../storage/per-storage";
import { ResourceFlags } from "../storage/resource-flags";
import { BlockStore } from "./block-store";
import { isBlocked } from "./matching";

export class BlockState {
  readonly store: BlockStore;
  readonly interested: ResourceFlags;
  private cached: Set<string> | null = null;

  constructor(sql: SqlStorage) {
    this.store = new BlockStore(sql);
    this.interested = new ResourceFlags(sql, "blocklist_interest");
  }

  list(): Set<string> {
    this.cached ??= new Set(this.store.list());
    return this.cached;
  }

  /** Whether a stanza from or to `jid` is blocked (XEP-0191 §5 matching). */
  blocks(jid: string): boolean {
    const list = this.list();
    return list.size > 0 && isBlocked(list, jid);
  }

  /** The store changed: read it again on next use. */
  changed(): void {
    this.cached = null;
  }
}

const states = perStorage((sql) => new BlockState(sql));

export function blockState(account: Account): BlockState {
  return states(account.sql);
}
