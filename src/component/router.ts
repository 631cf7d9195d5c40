// The per-component router: everything that crosses a component's connection goes
// through here, in one object per component JID, so components never wait on each
// other and ordinary client traffic never passes through any of them.
import type { Env } from "../env";
import type { GatewayConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, isResponse } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import { classify } from "../routing/destination";
import { routeStanza, sessionStub } from "../routing/route";
import { handleHostIq } from "../server/host-iq";
import { parseInternal } from "../account/account";
import { componentHooks } from "./hooks";
import { deliverPresenceToComponent } from "../privilege/presence";
import { delegateIfConfigured } from "../delegation/forward";
import "./features";

export interface RouterStorage {
  currentSession(): string | null;
  setSession(id: string | null): void;
  /** The object's SQLite (features keep their own tables in it). */
  sql: SqlStorage;
  /** Sets the object's alarm to `at` (epoch ms), or deletes it with null (XEP-0355 timeouts). */
  setAlarm(at: number | null): Promise<void>;
}

export class Router {
  constructor(
    readonly env: Env,
    readonly config: GatewayConfig,
    readonly jid: string,
    readonly store: RouterStorage,
    readonly waitUntil: (p: Promise<unknown>) => void,
  ) {}

  /** Sends a stanza down the component's socket; false when it is not connected. */
  async toComponent(stanza: Element | string): Promise<boolean> {
    const session = this.store.currentSession();
    if (!session) return false;
    const el = typeof stanza === "string" ? parseInternal(stanza) : stanza;
    el.attrs.xmlns = NS.component;
    let ok = false;
    try {
      ok = await sessionStub(this.env, session).deliver(el.toString());
    } catch {
      ok = false;
    }
    if (!ok && this.store.currentSession() === session) await this.detach(session);
    return ok;
  }

  /** A new authenticated connection for this component; the previous one gets `conflict`. */
  async attach(session: string): Promise<void> {
    const previous = this.store.currentSession();
    this.store.setSession(session);
    if (previous && previous !== session) {
      this.waitUntil(sessionStub(this.env, previous).kick("conflict", "replaced by a new connection").catch(() => undefined));
    }
    await componentHooks.connected(this);
  }

  async detach(session: string): Promise<void> {
    if (this.store.currentSession() !== session) return;
    this.store.setSession(null);
    await componentHooks.disconnected(this);
  }

  /** A stanza addressed to the component (or a JID at it). Returns bounces for the sender. */
  async receive(raw: string): Promise<string[]> {
    const stanza = parseInternal(raw);
    // XEP-0356 §7 rule 2: a presence the component already has from that full JID is not sent again.
    if (stanza.name === "presence" && !deliverPresenceToComponent(this, stanza)) return [];
    if (await this.toComponent(stanza)) return [];
    // XEP-0114 has no offline storage: requests fail, presences vanish.
    stanza.attrs.xmlns = NS.client;
    if (stanza.name === "presence" || isResponse(stanza)) return [];
    return [errorReply(stanza, "service-unavailable", `${this.jid} is not connected`).toString()];
  }

  /** A stanza the component sent (its `from` already checked). Returns replies for the component. */
  async fromComponent(raw: string): Promise<string[]> {
    const stanza = parseInternal(raw);
    const handled = await componentHooks.fromComponent(this, stanza);
    if (handled) return handled.map((s) => retag(s));
    const to = stanza.attrs.to ? parseJid(stanza.attrs.to) : null;
    if (!to) {
      if (isResponse(stanza)) return [];
      return [retag(errorReply(stanza, "jid-malformed", "a stanza from a component needs a 'to'", this.jid).toString())];
    }
    const dest = classify(this.config, to);
    if (stanza.name === "iq" && (dest.kind === "host" || (dest.kind === "account" && !dest.resource))) {
      // XEP-0355: a component's IQ to a host or a bare JID may be delegated (never to itself).
      const forwarded = await delegateIfConfigured(this.env, this.config, this.config.hosts[dest.host]!, stanza, dest.kind === "host" ? "host" : "bare", dest.kind === "account" ? dest.bare : null);
      if (forwarded) return forwarded.map((s) => retag(s));
    }
    if (dest.kind === "host") {
      if (stanza.name !== "iq") return [];
      const reply = await handleHostIq(this.config, this.config.hosts[dest.host]!, stanza, this.env);
      return reply ? [retag(reply.toString())] : [];
    }
    const bounces = await routeStanza(this.env, this.config, stanza, dest);
    return bounces.map((s) => retag(s));
  }
}

/** Stanzas going down a component socket carry the component namespace. */
function retag(s: string): string {
  const el = parseInternal(s);
  el.attrs.xmlns = NS.component;
  return el.toString();
}
