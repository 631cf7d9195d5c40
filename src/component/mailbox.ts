// A component's mailbox: everything addressed to a component JID, and everything it
// sends, passes here, in one object per component JID, so components never wait on
// each other and ordinary client traffic never passes through any of them. What
// features do when the component connects, disconnects or answers arrives through
// `events` (src/features/index.ts fills it).
import type { GatewayConfig } from "../config";
import type { Services } from "../pipeline/context";
import { route } from "../pipeline/route";
import { tryDeliver } from "../ports/deliver";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, isResponse, withNamespace } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";

export interface MailboxStorage {
  currentSession(): string | null;
  setSession(id: string | null): void;
  /** The object's SQLite (features keep their own tables in it). */
  sql: SqlStorage;
  /** Sets the object's alarm to `at` (epoch ms), or deletes it with null (XEP-0355 timeouts). */
  setAlarm(at: number | null): Promise<void>;
}

/** What features do around a component's connection. */
export interface ComponentEvents {
  /** After the handshake: advertisements, disco queries, initial presences. */
  connected(mailbox: ComponentMailbox): Promise<void>;
  disconnected(mailbox: ComponentMailbox): Promise<void>;
  /** Whether a stanza from the component must pass its mailbox (pure, decided in the
   *  component's connection): only those go there, the rest is routed from the connection. */
  takes(config: GatewayConfig, stanza: Element): boolean;
  /** A stanza from the component that a feature takes before routing (replies for the component), or null. */
  fromComponent(mailbox: ComponentMailbox, stanza: Element): Promise<string[] | null>;
  /** A stanza to the component: false drops it (e.g. a presence the component already has). */
  toComponent(mailbox: ComponentMailbox, stanza: Element): boolean;
}

export class ComponentMailbox {
  constructor(
    readonly services: Services,
    readonly events: ComponentEvents,
    readonly jid: string,
    readonly store: MailboxStorage,
  ) {}

  get config() {
    return this.services.config;
  }

  /** Writes a stanza down the component's socket; false when it is not connected. */
  async toComponent(stanza: Element | string): Promise<boolean> {
    const session = this.store.currentSession();
    if (!session) return false;
    const el = withNamespace(typeof stanza === "string" ? parseTrusted(stanza) : stanza, NS.component);
    const ok = await tryDeliver(this.services.ports.connection(session), el.toString());
    if (!ok && this.store.currentSession() === session) await this.detach(session);
    return ok;
  }

  /** A new authenticated connection for this component; the previous one gets `conflict`. */
  async attach(session: string): Promise<void> {
    const previous = this.store.currentSession();
    this.store.setSession(session);
    if (previous && previous !== session) {
      this.services.waitUntil(this.services.ports.connection(previous).kick("conflict", "replaced by a new connection").catch(() => undefined));
    }
    await this.events.connected(this);
  }

  async detach(session: string): Promise<void> {
    if (this.store.currentSession() !== session) return;
    this.store.setSession(null);
    await this.events.disconnected(this);
  }

  /** A stanza addressed to the component (or a JID at it). Returns bounces for the sender. */
  async receive(raw: string): Promise<string[]> {
    const stanza = parseTrusted(raw);
    if (!this.events.toComponent(this, stanza)) return [];
    if (await this.toComponent(stanza)) return [];
    // XEP-0114 has no offline storage: requests fail, presences vanish.
    withNamespace(stanza, NS.client);
    if (stanza.name === "presence" || isResponse(stanza)) return [];
    return [errorReply(stanza, "service-unavailable", `${this.jid} is not connected`).toString()];
  }

  /** A stanza the component sent (its `from` already checked). Returns replies for the component. */
  async fromComponent(raw: string): Promise<string[]> {
    const stanza = parseTrusted(raw);
    const taken = await this.events.fromComponent(this, stanza);
    const replies = taken ?? (await route(this.services, { kind: "component", jid: this.jid }, stanza));
    return replies.map(forComponent);
  }
}

/** A stanza going down a component's socket carries the component namespace. */
export function forComponent(s: string): string {
  return withNamespace(parseTrusted(s), NS.component).toString();
}
