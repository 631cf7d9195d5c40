// One account's server-side behaviour (RFC 6121): roster, subscriptions, presence,
// message delivery and offline storage. The AccountObject Durable Object owns the
// storage and calls into this; everything addressed to the account arrives here.
import type { Env } from "../env";
import type { GatewayConfig, HostConfig } from "../config";
import { RosterStore, type RosterItem } from "./roster-store";
import { ResourcesStore, type BoundResource } from "./resources-store";
import { OfflineStore, type OfflineRefusal } from "./offline-store";
import { handleRosterIq, rosterPush } from "./roster-iq";
import { inbound, isSubscriptionType, outbound, removeItem, NO_CONTACT, sendsPresenceTo, wantsPresenceFrom, type SubscriptionType } from "../roster/subscription";
import {
  messageToBare, messageToFull, iqToFull, parseMessageType, presenceToBare, presenceToFull, type IqType, type PresenceType,
} from "../im/delivery-rules";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqResult, xml } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { bareOf, domainOf, parseJid } from "../jid/jid";
import { noAccountReply } from "./no-account";
import { MAX_PENDING_SUBSCRIPTIONS, trimSubscriptionRequest } from "./pending-subscription";
import { routeStanza, sessionStub } from "../routing/route";
import { accountDiscoInfo } from "./account-disco";
import { withDelegatedDisco } from "../delegation/forward";
import { clientModeForward, grantStore } from "../delegation/client-mode";
import { privilegeHooks } from "../privilege/account-hooks";

const OFFLINE_REFUSAL_TEXT: Record<OfflineRefusal, string> = {
  "too-large": "the message is too large for offline storage",
  "sender-full": "offline storage holds too much from you already",
  full: "offline storage is full",
};

export class Account {
  readonly host: HostConfig;
  // The stores create their tables on first use, which only happens for an existing
  // account: stanzas to a missing one never reach them (see receive).
  private stores: { roster?: RosterStore; resources?: ResourcesStore; offline?: OfflineStore } = {};
  private draining: Promise<void> | null = null;

  constructor(
    readonly env: Env,
    readonly config: GatewayConfig,
    readonly bare: string,
    readonly sql: SqlStorage,
    readonly waitUntil: (p: Promise<unknown>) => void,
  ) {
    this.host = config.hosts[domainOf(bare)]!;
  }

  get roster(): RosterStore {
    return (this.stores.roster ??= new RosterStore(this.sql));
  }

  get resources(): ResourcesStore {
    return (this.stores.resources ??= new ResourcesStore(this.sql));
  }

  get offline(): OfflineStore {
    return (this.stores.offline ??= new OfflineStore(this.sql));
  }

  // ---- delivery to this account's own connections ------------------------------------

  /** Sends to one resource's connection; a vanished connection loses its resource. True when delivered. */
  async toResource(r: BoundResource, stanza: string): Promise<boolean> {
    let delivered = false;
    try {
      delivered = await sessionStub(this.env, r.session).deliver(stanza);
    } catch {
      delivered = false;
    }
    // A connection still binding (the bind result not sent yet) refuses stanzas but is not gone.
    if (!delivered && this.resources.get(r.resource)?.session === r.session && !(await this.isAlive(r))) {
      await this.unbind(r.resource, r.session);
    }
    return delivered;
  }

  private async isAlive(r: BoundResource): Promise<boolean> {
    try {
      return await sessionStub(this.env, r.session).alive();
    } catch {
      return false;
    }
  }

  /**
   * Forgets resources whose connection is gone without telling us (a restart of the
   * runtime cuts every socket; no close event reaches the account). Their contacts get
   * unavailable presence, as for any disconnect (RFC 6121 §4.5.2).
   */
  async pruneDead(): Promise<void> {
    await Promise.all(this.resources.list().map(async (r) => {
      if (!(await this.isAlive(r)) && this.resources.get(r.resource)?.session === r.session) await this.unbind(r.resource, r.session);
    }));
  }

  async toResources(rs: BoundResource[], stanza: string): Promise<void> {
    await Promise.all(rs.map((r) => this.toResource(r, stanza)));
  }

  available(): BoundResource[] {
    return this.resources.list().filter((r) => r.available);
  }

  /** Routes a stanza from this account to someone else; errors come back to `bounceTo`. */
  async send(stanza: Element, bounceTo?: BoundResource): Promise<void> {
    const bounces = await routeStanza(this.env, this.config, stanza);
    if (bounceTo) for (const b of bounces) await this.toResource(bounceTo, b);
  }

  // ---- resources ---------------------------------------------------------------------

  async bind(resource: string, session: string): Promise<void> {
    const old = this.resources.get(resource);
    if (old && old.session !== session) {
      // RFC 6120 §7.7.2.2: the newer session wins; the older one gets a conflict stream error.
      this.resources.remove(resource);
      await this.resourceUnavailable(old, null);
      this.waitUntil(sessionStub(this.env, old.session).kick("conflict", "replaced by a new session").catch(() => undefined));
    }
    this.resources.put({ resource, session, priority: 0, available: false, presence: null, interested: false });
  }

  async unbind(resource: string, session: string): Promise<void> {
    const r = this.resources.get(resource);
    if (!r || r.session !== session) return;
    this.resources.remove(resource);
    await this.resourceUnavailable(r, null);
  }

  /**
   * A resource stops being available or goes away. Available: the full unavailable
   * broadcast (RFC 6121 §4.5.2). Either way every JID it sent directed presence to gets
   * unavailable (§4.6.3), even when the resource never sent initial presence.
   */
  private async resourceUnavailable(r: BoundResource, stanza: Element | null): Promise<void> {
    if (r.available) return this.broadcastUnavailable(r, stanza);
    const targets = this.resources.takeDirected(r.resource).filter((jid) => bareOf(jid) !== this.bare);
    const pres = stanza ?? xml("presence", { xmlns: NS.client, type: "unavailable" });
    const from = `${this.bare}/${r.resource}`;
    await Promise.all(targets.map((jid) => this.send(xml("presence", { ...pres.attrs, from, to: jid }, ...pres.children))));
  }

  private async broadcastUnavailable(r: BoundResource, stanza: Element | null): Promise<void> {
    const pres = stanza ?? xml("presence", { xmlns: NS.client, type: "unavailable", from: `${this.bare}/${r.resource}` });
    await this.broadcast(r, pres, this.resources.takeDirected(r.resource));
    // The host's directory of online accounts (XEP-0356 initial presences): last resource gone.
    if (this.available().length === 0) await privilegeHooks.online(this, false);
  }

  /** Sends a presence of resource `r` to every contact with a 'from' subscription, the account's
   *  other resources, any extra JIDs (directed presence), and privileged entities. */
  private async broadcast(r: BoundResource, pres: Element, extra: string[]): Promise<void> {
    const targets = new Set([...this.roster.contacts(sendsPresenceTo), ...extra]);
    const from = `${this.bare}/${r.resource}`;
    const jobs: Promise<unknown>[] = [];
    for (const jid of targets) {
      if (bareOf(jid) === this.bare) continue;
      const copy = xml("presence", { ...pres.attrs, from, to: jid }, ...pres.children);
      jobs.push(this.send(copy));
    }
    // RFC 6121 §4.2.2 / §4.5.2: the user's own available resources get it too.
    const own = xml("presence", { ...pres.attrs, from }, ...pres.children);
    for (const other of this.available()) {
      own.attrs.to = `${this.bare}/${other.resource}`;
      jobs.push(this.toResource(other, own.toString()));
    }
    jobs.push(privilegeHooks.ownPresence(this, from, pres));
    await Promise.all(jobs);
  }

  // ---- stanzas from the account's own connections --------------------------------------

  /** Broadcast presence (no `to`) from one of the account's resources. */
  async ownPresence(resource: string, raw: string): Promise<string[]> {
    const r = this.resources.get(resource);
    if (!r) return [];
    const pres = parseTrusted(raw);
    delete pres.attrs.to;
    if (pres.attrs.type === "unavailable") {
      if (!r.available) {
        await this.resourceUnavailable(r, pres);
        return [];
      }
      this.resources.put({ ...r, available: false, presence: null });
      await this.broadcastUnavailable(r, pres);
      return [];
    }
    const priority = Math.max(-128, Math.min(127, parseInt(pres.getChildText("priority") ?? "0", 10) || 0));
    const initial = !r.available;
    const updated: BoundResource = { ...r, available: true, priority, presence: pres.toString() };
    this.resources.put(updated);
    await this.broadcast(updated, pres, []);
    if (initial) {
      // The host's directory of online accounts (XEP-0356 initial presences): first resource.
      if (this.available().length === 1) await privilegeHooks.online(this, true);
      await this.afterInitialPresence(updated);
      // XEP-0356 §4.1: a privileged account's resource gets its advertisement.
      await privilegeHooks.initialPresence(this, updated);
    }
    return [];
  }

  /** RFC 6121 §4.2.2 probes, pending subscription requests, offline messages. */
  private async afterInitialPresence(r: BoundResource): Promise<void> {
    const full = `${this.bare}/${r.resource}`;
    const jobs: Promise<unknown>[] = this.roster.contacts(wantsPresenceFrom).map(async (contact) => {
      const probe = xml("presence", { xmlns: NS.client, type: "probe", from: this.bare, to: contact, id: `probe-${r.resource}` });
      const answers = await routeStanza(this.env, this.config, probe);
      for (const a of answers) {
        const el = parseTrusted(a);
        el.attrs.to = full;
        await this.toResource(r, el.toString());
      }
    });
    for (const item of this.roster.pendingRequests()) {
      if (item.pendingStanza) jobs.push(this.toResource(r, item.pendingStanza));
    }
    await Promise.all(jobs);
    if (r.priority >= 0) await this.deliverOffline(r);
  }

  /**
   * Offline messages to a resource that just came online, a page at a time; a message
   * is deleted only once delivered. One drain at a time: a second resource coming
   * online meanwhile leaves the store to the first (no message is delivered twice).
   */
  private async deliverOffline(r: BoundResource): Promise<void> {
    if (this.draining) return;
    this.draining = this.offline.drain((m) => this.toResource(r, m)).then(() => undefined);
    try {
      await this.draining;
    } finally {
      this.draining = null;
    }
  }

  async trackDirectedPresence(resource: string, jid: string, unavailable: boolean): Promise<void> {
    if (!this.resources.get(resource)) return;
    if (unavailable) this.resources.removeDirected(resource, jid);
    else if (!this.roster.contacts(sendsPresenceTo).includes(bareOf(jid))) this.resources.addDirected(resource, jid);
  }

  /** Outbound subscription stanza (RFC 6121 §3) from one of the account's resources. */
  async outboundSubscription(raw: string): Promise<string[]> {
    const pres = parseTrusted(raw);
    const type = pres.attrs.type as SubscriptionType;
    const contact = pres.attrs.to!;
    if (contact === this.bare) return [];
    const item = this.roster.get(contact);
    const decision = outbound(item?.state ?? NO_CONTACT, type);
    const next: RosterItem = { jid: contact, name: item?.name ?? null, groups: item?.groups ?? [], state: decision.next, pendingStanza: decision.next.pendingIn ? (item?.pendingStanza ?? null) : null };
    if (decision.push) await this.saveAndPush(next);
    else if (item) this.roster.put(next);
    // RFC 6121 §3.1.2: the stanza goes out from the bare JID.
    pres.attrs.from = this.bare;
    if (decision.route) await this.send(pres);
    if (decision.sendPresence === "available") {
      for (const r of this.available()) {
        if (!r.presence) continue;
        const p = parseTrusted(r.presence);
        p.attrs.from = `${this.bare}/${r.resource}`;
        p.attrs.to = contact;
        await this.send(p);
      }
    } else if (decision.sendPresence === "unavailable") {
      await this.unavailableTo(contact);
    }
    return [];
  }

  /** Unavailable presence from each available resource to `contact`, which no longer gets our presence. */
  private async unavailableTo(contact: string): Promise<void> {
    for (const r of this.available()) {
      await this.send(xml("presence", { xmlns: NS.client, type: "unavailable", from: `${this.bare}/${r.resource}`, to: contact }));
    }
  }

  /** Stores an item (or removes it when it is no longer in the roster) and pushes the change. */
  async saveAndPush(item: RosterItem, removed = false): Promise<void> {
    const gone = removed || (!item.state.inRoster && item.state.subscription === "none" && !item.state.pendingIn && !item.state.askOut);
    const ver = gone ? this.roster.remove(item.jid) : this.roster.put(item);
    if (!gone && !item.state.inRoster) return; // invisible (pending-in only) items are not pushed
    const push = rosterPush(item, String(ver), gone);
    const jobs: Promise<unknown>[] = this.resources.list().filter((r) => r.interested).map((r) => {
      push.attrs.to = `${this.bare}/${r.resource}`;
      push.attrs.id = `push-${ver}-${r.resource}`;
      return this.toResource(r, push.toString());
    });
    jobs.push(privilegeHooks.rosterChanged(this, item, String(ver), gone));
    await Promise.all(jobs);
  }

  // ---- stanzas addressed to this account ---------------------------------------------

  /** Any stanza to this account (bare or full JID) with a trusted `from`. Returns replies for the sender. */
  async receive(raw: string): Promise<string[]> {
    const stanza = parseTrusted(raw);
    const to = parseJid(stanza.attrs.to ?? this.bare) ?? parseJid(this.bare)!;
    if (!(await this.exists())) return this.receiveForMissing(stanza, to.resource);
    if (stanza.name === "message") return this.receiveMessage(stanza, to.resource, true, raw);
    if (stanza.name === "presence") return this.receivePresence(stanza, to.resource);
    return this.receiveIq(stanza, to.resource);
  }

  exists: () => Promise<boolean> = async () => true;

  /**
   * RFC 6121 §8.5.1, answered without touching (and so creating) the account's tables.
   * XEP-0356 §4.4: a privileged IQ to a missing account is refused with forbidden.
   */
  private async receiveForMissing(stanza: Element, resource: string): Promise<string[]> {
    if (stanza.name === "iq") {
      const privileged = await privilegeHooks.privilegedIq(this, stanza, resource, false);
      if (privileged) return privileged;
    }
    return noAccountReply(stanza, resource);
  }

  /** `raw`, when given, is `msg` as it arrived: forwarded as is, not serialised again. */
  private async receiveMessage(msg: Element, resource: string, retry = true, raw?: string): Promise<string[]> {
    const type = parseMessageType(msg.attrs.type);
    const resources = this.resources.list();
    const d = resource ? messageToFull(type, resource, true, resources) : messageToBare(type, true, resources);
    switch (d.kind) {
      case "resources": {
        const wire = raw ?? msg.toString();
        const delivered = await Promise.all(d.resources.map((name) => this.toResource(this.resources.get(name)!, wire)));
        if (delivered.includes(true) || !retry) return [];
        // Every chosen connection was dead (and is now forgotten): decide once more, which may store it offline.
        await this.pruneDead();
        return this.receiveMessage(msg, resource, false);
      }
      case "offline": {
        msg.c("delay", { xmlns: NS.delay, from: this.host.domain, stamp: new Date().toISOString() }).t("Offline storage");
        const refused = this.offline.add(msg.toString(), bareOf(msg.attrs.from ?? ""));
        if (refused) return [errorReply(msg, "service-unavailable", OFFLINE_REFUSAL_TEXT[refused]).toString()];
        return [];
      }
      case "error":
        return [errorReply(msg, d.condition).toString()];
      case "drop":
        return [];
    }
  }

  private async receivePresence(pres: Element, resource: string): Promise<string[]> {
    const type = pres.attrs.type;
    const from = pres.attrs.from ?? "";
    const fromBare = bareOf(from);
    const wire = (type ?? "available") as PresenceType;
    const resources = this.resources.list();
    const d = resource ? presenceToFull(wire, resource, true, resources) : presenceToBare(wire, true, resources);
    if (d.kind !== "account") {
      // Available, unavailable or error presence: to the resource, or every available one.
      const targets = d.kind === "resources" ? d.resources.map((name) => this.resources.get(name)!) : [];
      const raw = pres.toString();
      await Promise.all([...targets.map((r) => this.toResource(r, raw)), privilegeHooks.contactPresence(this, pres)]);
      return [];
    }
    if (type === "probe") {
      // RFC 6121 §4.3.2: answer only contacts subscribed to our presence (or ourselves).
      if (fromBare !== this.bare && !sendsPresenceTo(this.roster.get(fromBare)?.state.subscription ?? "none")) return [];
      // Never answer with the presence of a connection that is gone.
      await this.pruneDead();
      return this.available().filter((r) => r.presence).map((r) => {
        const p = parseTrusted(r.presence!);
        p.attrs.from = `${this.bare}/${r.resource}`;
        p.attrs.to = from;
        return p.toString();
      });
    }
    return isSubscriptionType(type) ? this.inboundSubscription(pres, fromBare, type) : [];
  }

  private async inboundSubscription(pres: Element, contact: string, type: SubscriptionType): Promise<string[]> {
    if (contact === this.bare) return [];
    const item = this.roster.get(contact);
    const decision = inbound(item?.state ?? NO_CONTACT, type);
    // A new pending request beyond the cap is ignored (silently, as for a missing account),
    // so that strangers cannot grow the account's storage without bound.
    if (decision.next.pendingIn && !item?.state.pendingIn && this.roster.pendingCount() >= MAX_PENDING_SUBSCRIPTIONS) return [];
    pres.attrs.from = contact; // RFC 6121 §3.1.3: delivered from the bare JID
    pres.attrs.to = this.bare;
    const next: RosterItem = {
      jid: contact, name: item?.name ?? null, groups: item?.groups ?? [], state: decision.next,
      pendingStanza: decision.next.pendingIn ? (type === "subscribe" ? trimSubscriptionRequest(pres).toString() : item?.pendingStanza ?? null) : null,
    };
    if (decision.push) await this.saveAndPush(next);
    else if (item || decision.next.pendingIn) this.roster.put(next);
    // RFC 6121 §3.3.3: the contact no longer receives our presence; tell it we are gone.
    if (decision.sendPresence === "unavailable") await this.unavailableTo(contact);
    if (decision.deliver) await this.toResources(this.available(), pres.toString());
    if (decision.autoReply === "subscribed") {
      return [xml("presence", { xmlns: NS.client, type: "subscribed", from: this.bare, to: contact }).toString()];
    }
    return [];
  }

  private async receiveIq(iq: Element, resource: string): Promise<string[]> {
    const type = iq.attrs.type as IqType;
    // XEP-0356 §4.4: a privileged IQ (to the bare JID; refused when sent to a full JID).
    const privileged = await privilegeHooks.privilegedIq(this, iq, resource, true);
    if (privileged) return privileged;
    if (resource) {
      const d = iqToFull(type, resource, true, this.resources.list());
      if (d.kind === "resource") {
        await this.toResource(this.resources.get(d.resource)!, iq.toString());
        return [];
      }
      if (d.kind === "error") return [errorReply(iq, d.condition).toString()];
      return [];
    }
    // An answer to the bare JID: maybe to a privileged IQ sent as this user (XEP-0356 §4.4).
    if (type === "result" || type === "error") return privilegeHooks.iqAnswer(this, iq);
    // Not a request either (an unknown type): dropped, as for a missing account (no-account.ts).
    if (type !== "get" && type !== "set") return [];
    // XEP-0355 client mode: namespaces this user delegated go to its managing entity.
    const clientDelegated = await clientModeForward(this.env, this.host, this.bare, grantStore(this.sql), iq);
    if (clientDelegated) return clientDelegated;
    const from = iq.attrs.from ?? "";
    const fromOwner = bareOf(from) === this.bare;
    const payload = iq.getChildElements();
    const query = payload.length === 1 ? payload[0]! : null;
    if (!query) {
      // Anyone but the owner gets the very answer a missing account gives (no-account.ts),
      // so a malformed IQ does not tell whether the account exists.
      if (!fromOwner) return [errorReply(iq, "service-unavailable", undefined, this.bare).toString()];
      return [errorReply(iq, "bad-request", "an IQ request carries exactly one payload", this.bare).toString()];
    }
    if (query.name === "query" && query.attrs.xmlns === NS.roster) {
      if (fromOwner) return [await handleRosterIq(this, iq, query, parseJid(from)?.resource ?? "")];
      const privileged = await privilegeHooks.rosterIq(this, iq, query);
      if (privileged) return [privileged];
      return [errorReply(iq, "service-unavailable", undefined, this.bare).toString()];
    }
    if (query.attrs.xmlns === NS.discoInfo && type === "get") {
      const sub = this.roster.get(bareOf(from))?.state.subscription ?? "none";
      // XEP-0030 §8: do not reveal the account to entities without a subscription.
      if (!fromOwner && !sendsPresenceTo(sub)) return [errorReply(iq, "service-unavailable", undefined, this.bare).toString()];
      if (query.attrs.node) return [errorReply(iq, "item-not-found", undefined, this.bare).toString()];
      // XEP-0355 §Disco nesting: merge the managing entities' `:bare:` answers (e.g. pubsub/pep).
      return [iqResult(iq, await withDelegatedDisco(this.env, this.host, "bare", accountDiscoInfo()), this.bare).toString()];
    }
    if (query.attrs.xmlns === NS.discoItems && type === "get" && (fromOwner || sendsPresenceTo(this.roster.get(bareOf(from))?.state.subscription ?? "none"))) {
      if (query.attrs.node) return [errorReply(iq, "item-not-found", undefined, this.bare).toString()];
      return [iqResult(iq, xml("query", { xmlns: NS.discoItems }), this.bare).toString()];
    }
    if (query.attrs.xmlns === NS.ping && type === "get" && fromOwner) return [iqResult(iq, undefined, this.bare).toString()];
    return [errorReply(iq, "service-unavailable", undefined, this.bare).toString()];
  }

  /** Removes a roster item (RFC 6121 §2.5), cancelling subscriptions both ways. */
  async removeContact(item: RosterItem): Promise<void> {
    const r = removeItem(item.state);
    await this.saveAndPush(item, true);
    if (r.sendUnavailable) await this.unavailableTo(item.jid);
    if (r.sendUnsubscribe) await this.send(xml("presence", { xmlns: NS.client, type: "unsubscribe", from: this.bare, to: item.jid }));
    if (r.sendUnsubscribed) await this.send(xml("presence", { xmlns: NS.client, type: "unsubscribed", from: this.bare, to: item.jid }));
  }
}
