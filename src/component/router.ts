// The per-component router: everything that crosses a component's connection goes
// through here, in one object per component JID, so components never wait on each
// other and ordinary client traffic never passes through any of them.
import type { Env } from "../env";
import type { GatewayConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, isResponse, withNamespace } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import { classify } from "../routing/destination";
import { routeStanza, sessionStub } from "../routing/route";
import { dispatchIqRequest } from "../routing/dispatch-iq";
import { parseTrusted } from "../xml/frame-parser";
import { componentHooks } from "./hooks";
import { deliverPresenceToComponent } from "../privilege/presence";
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
    const el = withNamespace(typeof stanza === "string" ? parseTrusted(stanza) : stanza, NS.component);
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
    const stanza = parseTrusted(raw);
    // XEP-0356 §7 rule 2: a privileged presence copy (addressed to the component's domain) it
    // already has from that full JID is not sent again; presences to JIDs at it always pass.
    if (stanza.name === "presence" && !deliverPresenceToComponent(this, stanza)) return [];
    if (await this.toComponent(stanza)) return [];
    // XEP-0114 has no offline storage: requests fail, presences vanish.
    withNamespace(stanza, NS.client);
    if (stanza.name === "presence" || isResponse(stanza)) return [];
    return [errorReply(stanza, "service-unavailable", `${this.jid} is not connected`).toString()];
  }

  /** A stanza the component sent (its `from` already checked). Returns replies for the component. */
  async fromComponent(raw: string): Promise<string[]> {
    const stanza = parseTrusted(raw);
    const handled = await componentHooks.fromComponent(this, stanza);
    if (handled) return handled.map((s) => retag(s));
    const to = stanza.attrs.to ? parseJid(stanza.attrs.to) : null;
    if (!to) {
      if (isResponse(stanza)) return [];
      return [retag(errorReply(stanza, "jid-malformed", "a stanza from a component needs a 'to'", this.jid).toString())];
    }
    const dest = classify(this.config, to);
    // IQs take the common path (XEP-0355 delegation, never back to this component; the
    // server's handlers for a host); messages and presences to a host end here.
    if (stanza.name === "iq") return (await dispatchIqRequest(this.env, this.config, stanza, dest)).map((s) => retag(s));
    if (dest.kind === "host") return [];
    const bounces = await routeStanza(this.env, this.config, stanza, dest);
    return bounces.map((s) => retag(s));
  }
}

/** Stanzas going down a component socket carry the component namespace. */
function retag(s: string): string {
  return withNamespace(parseTrusted(s), NS.component).toString();
}
