// The fast path of XEP-0355 forwarding: a delegated request handed straight to the
// managing component's connection object, which keeps it pending, writes the wrapper to
// the socket, and validates the answer when it comes up the same socket. Two hops for a
// delegated round trip instead of four through the mailbox, and no storage write on the
// way (a write would hold the next send until it is durable); the rules (./rules.ts) and
// the bookkeeping (./mailbox-events.ts) are the same code as the mailbox's.
// Pending requests live in memory: a timer per deadline answers those that time out and
// keeps the object awake (no hibernation, so no eviction) while any wait; the socket's
// close answers the rest; a restart of the runtime loses them together with every socket.
// Counters go to the mailbox (where the admin API reads them) a second after they change,
// in one call, and at the close. Requests that find no known
// connection go through the mailbox, which keeps them in SQLite (./forward.ts).
import type { Services } from "../pipeline/context";
import { NS } from "../xml/namespaces";
import { type Element, withNamespace } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { type DelegationSite, delegateRequest, delegationAlarm, failPending, takeAnswer } from "./mailbox-events";
import { MemoryCounter } from "./counters";
import { MemoryPending } from "./store";

/** How long counter changes wait before they go to the mailbox in one call. */
export const COUNTS_FLUSH_MS = 1000;

export class ConnectionDelegations implements DelegationSite {
  readonly store: DelegationSite["store"];
  readonly pending = new MemoryPending();
  readonly counter = new MemoryCounter(() => this.flushSoon());
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = 0;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly services: Services,
    readonly jid: string,
    sql: SqlStorage,
    /** Writes to the component's socket; false when it is not open. */
    private readonly write: (wire: string) => boolean,
  ) {
    this.store = {
      currentSession: () => "this connection",
      sql,
      setAlarm: async (at) => this.wakeAt(at),
    };
  }

  /** One timer, at the earliest deadline; none when nothing waits. A later deadline
   *  leaves the timer as it is: when it fires, the alarm answers what is due and sets
   *  the next one (so a request does not cost a clearTimeout and a setTimeout). */
  private wakeAt(at: number | null): void {
    if (at !== null && this.timer !== null && this.timerAt <= at) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (at === null) return;
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.alarm().catch(() => undefined);
    }, Math.max(0, at - Date.now()));
  }

  get config() {
    return this.services.config;
  }

  async toComponent(stanza: Element | string): Promise<boolean> {
    const el = withNamespace(typeof stanza === "string" ? parseTrusted(stanza) : stanza, NS.component);
    return this.write(el.toString());
  }

  /** Forwards a delegated request; the immediate answers for its sender. */
  delegate(raw: string, host: string): Promise<string[]> {
    return delegateRequest(this, raw, host);
  }

  /** An answer from the component to a request pending here; false when none is. */
  answer(stanza: Element): Promise<boolean> {
    return takeAnswer(this, stanza);
  }

  alarm(): Promise<void> {
    return delegationAlarm(this);
  }

  /** The socket is gone: every request still pending here gets its failure, and the
   *  counters go to the mailbox. */
  async closed(): Promise<void> {
    await failPending(this, `${this.jid} disconnected`);
    await this.flush();
  }

  private flushSoon(): void {
    this.flushTimer ??= setTimeout(() => void this.flush(), COUNTS_FLUSH_MS);
  }

  private async flush(): Promise<void> {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const counts = this.counter.snapshot(true);
    if (Object.keys(counts).length === 0) return;
    try {
      await this.services.ports.component(this.jid).addDelegationCounts(counts);
    } catch (e) {
      console.error(JSON.stringify({ event: "delegation-counts-lost", component: this.jid, error: String(e) }));
    }
  }
}
