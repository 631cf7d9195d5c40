// The dispatch table: handlers keyed by event name (Prosody's style, e.g.
// `iq-set/self/{jabber:iq:roster}query`), each with a priority. Firing a stanza's
// keys runs every handler registered on any of them, highest priority first, until
// one returns true ("handled"). The table knows no feature: features fill it.
//
// Reference: Prosody core/stanza_router.lua and util/events.lua (the idea, not the code).

/** True when the stanza was handled; anything else passes it to the next handler. */
export type Outcome = boolean | void;
export type Handler<C> = (ctx: C) => Outcome | Promise<Outcome>;

export interface Registration {
  event: string;
  feature: string;
  priority: number;
}

interface Entry<C> extends Registration {
  handler: Handler<C>;
  order: number;
}

export class HandlerTable<C> {
  private readonly byEvent = new Map<string, Entry<C>[]>();
  private readonly merged = new Map<string, Entry<C>[]>();
  private count = 0;

  /** Registers `handler` on `event`; a higher priority runs earlier (ties: first registered first). */
  on(event: string, feature: string, handler: Handler<C>, priority = 0): void {
    const list = this.byEvent.get(event) ?? [];
    list.push({ event, feature, priority, handler, order: this.count++ });
    this.byEvent.set(event, list);
    this.merged.clear();
  }

  /** Runs the handlers of `keys` in priority order; true when one handled the stanza. */
  async fire(keys: readonly string[], ctx: C): Promise<boolean> {
    for (const entry of this.handlersOf(keys)) {
      if ((await entry.handler(ctx)) === true) return true;
    }
    return false;
  }

  /** Every registration, sorted by event then priority (for the README's table and tests). */
  registrations(): Registration[] {
    return [...this.byEvent.values()]
      .flat()
      .sort((a, b) => (a.event < b.event ? -1 : a.event > b.event ? 1 : b.priority - a.priority || a.order - b.order))
      .map(({ event, feature, priority }) => ({ event, feature, priority }));
  }

  /** How many merged handler lists are cached (bounded by the registered events, not by traffic). */
  get cachedLists(): number {
    return this.merged.size;
  }

  /** The merged list is cached per combination of registered keys only (keys carry
   *  namespaces from the wire; unregistered ones must not grow the cache). */
  private handlersOf(keys: readonly string[]): Entry<C>[] {
    const known = keys.filter((k) => this.byEvent.has(k));
    const cacheKey = known.join("\n");
    let list = this.merged.get(cacheKey);
    if (!list) {
      list = known.flatMap((k) => this.byEvent.get(k)!).sort((a, b) => b.priority - a.priority || a.order - b.order);
      this.merged.set(cacheKey, list);
    }
    return list;
  }
}
