// One account's server-side behaviour (RFC 6121): resources, roster and subscriptions,
// presence broadcast and probes, message delivery and offline storage. The account
// object owns the storage and the im feature's handlers call in here; what other
// features do as things happen (XEP-0356 copies, the host directory) arrives through
// `events`, which the composition root fills (src/features/index.ts).
import type { HostConfig } from "../config";
import type { Services } from "../pipeline/context";
import { route } from "../pipeline/route";
import { tryDeliver } from "../ports/deliver";
import { itemChars, ROSTER_CHARS_PER_ITEM, RosterStore, type RosterItem } from "./roster-store";
import { ResourcesStore, type BoundResource } from "./resources-store";
import { OfflineStore, type OfflineRefusal } from "./offline-store";
import { rosterPush } from "./roster-push";
import { inbound, isSubscriptionType, outbound, removeItem, NO_CONTACT, sendsPresenceTo, wantsPresenceFrom, type SubscriptionType } from "./subscription";
import { messageToBare, messageToFull, iqToFull, parseMessageType, presenceToBare, presenceToFull, type IqType, type PresenceType } from "./delivery-rules";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, isResponse, xml } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { deepCopy } from "../xml/forwarded";
import { bareOf, domainOf } from "../jid/jid";
import { MAX_PENDING_PER_SENDER, MAX_PENDING_SUBSCRIPTIONS, trimSubscriptionRequest } from "./pending-subscription";
import { senderKey } from "./sender-key";
import { forgetPresenceRoutes } from "./presence-straight";

/** What other features do as things happen in an account (each may be a no-op). */
export interface AccountEvents {
  /** A resource broadcast a presence (available or unavailable), `from` its full JID. */
  presenceBroadcast(account: Account, from: string, pres: Element): Promise<void>;
  /** The account received an available/unavailable presence from someone else. */
  contactPresence(account: Account, pres: Element): Promise<void>;
  /** A roster item was stored (or removed) under version `ver`. */
  rosterChanged(account: Account, item: RosterItem, ver: string, removed: boolean): Promise<void>;
  /** The first resource became available (true) or the last one went (false). */
  online(account: Account, online: boolean): Promise<void>;
  /** A resource sent its initial presence. */
  initialPresence(account: Account, r: BoundResource): Promise<void>;
  /** A stanza the user sends, before it is routed: the answers that refuse it, or null
   *  to let it go (e.g. XEP-0191: stanzas to a blocked JID). The first refusal wins. */
  outboundFilter(account: Account, stanza: Element): Promise<string[] | null>;
  /** A message the user sent passed the filter (`resource` "" when sent on the user's
   *  behalf, XEP-0356). `own` is a copy for the user's other resources, which features may
   *  change (an archive id) and pass on (sent carbons). */
  messageSent(account: Account, own: Element, resource: string): Promise<void>;
  /** A message from someone else is about to be delivered to `resources` (none: stored
   *  offline); features may change it in place. True when one did. */
  messageArriving(account: Account, msg: Element, resources: readonly string[]): Promise<boolean>;
  /** That message was delivered to `resources` (its direct recipients). */
  messageDelivered(account: Account, msg: Element, resources: readonly string[]): Promise<void>;
}

/** Resources one account may bind at once (RFC 6120 §7.6.2.1: then resource-constraint). */
export const MAX_RESOURCES = 64;

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
    readonly services: Services,
    readonly events: AccountEvents,
    readonly bare: string,
    readonly sql: SqlStorage,
  ) {
    this.host = services.config.hosts[domainOf(bare)]!;
  }

  get config() {
    return this.services.config;
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
    if (this.keepWhileMoving(r, stanza)) return true;
    const delivered = await tryDeliver(this.services.ports.connection(r.session), stanza);
    // A connection still binding (the bind result not sent yet) refuses stanzas but is not gone.
    if (!delivered && this.resources.get(r.resource)?.session === r.session && !(await this.isAlive(r))) {
      await this.unbind(r.resource, r.session);
    }
    return delivered;
  }

  /** Whether a resource's connection still holds its socket. A failed call is not an answer:
   *  a connection that is gone says so (its object starts empty), so a transient RPC failure
   *  never unbinds a live resource. */
  private async isAlive(r: BoundResource): Promise<boolean> {
    try {
      return await this.services.ports.connection(r.session).alive();
    } catch {
      return true;
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

  /** The user's connections keep a view of the account's outbound side
   *  (src/im/sender-view.ts: blocklist, carbons); after a change they read it again. */
  async senderViewChanged(): Promise<void> {
    await Promise.all(this.resources.list().map((r) => this.services.ports.connection(r.session).forgetSenderView(this.bare).catch(() => undefined)));
  }

  async toResources(rs: BoundResource[], stanza: string): Promise<void> {
    await Promise.all(rs.map((r) => this.toResource(r, stanza)));
  }

  available(): BoundResource[] {
    return this.resources.list().filter((r) => r.available);
  }

  /** Routes a stanza the account itself sends (its `from` set); returns the answers. */
  async send(stanza: Element): Promise<string[]> {
    if (await this.events.outboundFilter(this, stanza)) return [];
    return route(this.services, { kind: "account", bare: this.bare, receive: (el) => this.receiveLocal(el) }, stanza);
  }

  /** A stanza this account sends to itself, handed over in place (set by the account object). */
  receiveLocal: (stanza: Element) => Promise<string[]> = async () => [];

  /** XEP-0198: keeps a stanza for a resource whose session is moving to a new connection
   *  (set by the account object; true when kept). */
  keepWhileMoving: (r: BoundResource, stanza: string) => boolean = () => false;

  /** Wakes the account object at `at` (epoch ms) for work that falls due (set by the account object). */
  scheduleAlarm: (at: number) => void = () => undefined;

  // ---- resources ---------------------------------------------------------------------

  /**
   * Binds `resource` to a connection. The newest bind owns the resource from the first line
   * on (no await before it), so concurrent binds never leave one bound and orphaned; the
   * replaced session then goes unavailable and gets a conflict stream error (RFC 6120 §7.7.2.2).
   * False, and nothing bound, when the account already has MAX_RESOURCES resources.
   */
  async bind(resource: string, session: string): Promise<boolean> {
    const old = this.resources.get(resource);
    if (!old && this.resources.list().length >= MAX_RESOURCES) return false;
    this.resources.put({ resource, session, priority: 0, available: false, presence: null, interested: false });
    if (old && old.session !== session) {
      await this.resourceUnavailable(old, null);
      this.services.waitUntil(this.services.ports.connection(old.session).kick("conflict", "replaced by a new session").catch(() => undefined));
    }
    return true;
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
    // Decided before any await: concurrent changes must not make two resources both "last".
    const last = this.available().length === 0;
    const pres = stanza ?? xml("presence", { xmlns: NS.client, type: "unavailable", from: `${this.bare}/${r.resource}` });
    await this.broadcast(r, pres, this.resources.takeDirected(r.resource));
    // Other features learn that the account went offline (e.g. the host directory).
    if (last) await this.events.online(this, false);
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
    jobs.push(this.events.presenceBroadcast(this, from, pres));
    await Promise.all(jobs);
  }

  // ---- stanzas from the account's own connections --------------------------------------

  /** Broadcast presence (no `to`) from one of the account's resources. */
  async ownPresence(resource: string, pres: Element): Promise<string[]> {
    const r = this.resources.get(resource);
    if (!r) return [];
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
    // Decided before any await: two simultaneous initial presences cannot both miss "first".
    const first = initial && this.available().length === 0;
    const updated: BoundResource = { ...r, available: true, priority, presence: pres.toString() };
    // Offline messages go first (RFC 6120 §10.1 order: older before newer). Until the drain
    // ends the resource is not available, so what arrives meanwhile is stored behind them.
    if (initial && priority >= 0) await this.deliverOffline(r);
    this.resources.put(updated);
    await this.broadcast(updated, pres, []);
    if (initial) {
      // Other features learn that the account came online.
      if (first) await this.events.online(this, true);
      await this.afterInitialPresence(updated);
      // Other features greet the new resource (e.g. XEP-0356 advertisements).
      await this.events.initialPresence(this, updated);
    }
    return [];
  }

  /** RFC 6121 §4.2.2 probes, pending subscription requests, offline messages. */
  private async afterInitialPresence(r: BoundResource): Promise<void> {
    const full = `${this.bare}/${r.resource}`;
    const jobs: Promise<unknown>[] = this.roster.contacts(wantsPresenceFrom).map(async (contact) => {
      const probe = xml("presence", { xmlns: NS.client, type: "probe", from: this.bare, to: contact, id: `probe-${r.resource}` });
      const answers = await this.send(probe);
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

  /** Why writing `next` over `existing` (null: a new contact) would pass the roster's
   *  bounds, or null: the number of items (`limits.max_roster_items`; an item already in
   *  the roster is never refused for it) and the characters of JIDs, names and groups
   *  (ROSTER_CHARS_PER_ITEM per item allowed; only a change that adds some is refused). */
  rosterRefusal(existing: RosterItem | null, next: RosterItem): string | null {
    const max = this.config.limits.maxRosterItems;
    if (!existing?.state.inRoster && next.state.inRoster && this.roster.count() >= max) return `at most ${max} roster items`;
    const maxChars = max * ROSTER_CHARS_PER_ITEM;
    const added = itemChars(next) - (existing ? itemChars(existing) : 0);
    if (added > 0 && this.roster.chars() + added > maxChars) return `at most ${maxChars} characters of JIDs, names and groups in a roster`;
    return null;
  }

  /** Outbound subscription stanza (RFC 6121 §3) from one of the account's resources. */
  async outboundSubscription(pres: Element): Promise<string[]> {
    const type = pres.attrs.type as SubscriptionType;
    const contact = pres.attrs.to!;
    if (contact === this.bare) return [];
    const item = this.roster.get(contact);
    const decision = outbound(item?.state ?? NO_CONTACT, type);
    const next: RosterItem = { jid: contact, name: item?.name ?? null, groups: item?.groups ?? [], state: decision.next, pendingStanza: decision.next.pendingIn ? (item?.pendingStanza ?? null) : null };
    // A subscription that would add the contact to a full roster is refused, not sent.
    const refusal = decision.next.inRoster ? this.rosterRefusal(item, next) : null;
    if (refusal) return [errorReply(pres, "policy-violation", refusal).toString()];
    if (decision.push) await this.saveAndPush(next);
    else if (item) this.roster.put(next);
    // RFC 6121 §3.1.2: the stanza goes out from the bare JID.
    pres.attrs.from = this.bare;
    if (decision.route) {
      // RFC 6121 §3.1.3: a contact's account may answer at once (an automatic `subscribed`).
      for (const answer of await this.send(pres)) await this.receivePresence(parseTrusted(answer), "");
    }
    if (decision.sendPresence === "available") {
      await this.currentPresenceTo(contact);
    } else if (decision.sendPresence === "unavailable") {
      await this.unavailableTo(contact);
    }
    return [];
  }

  /** The current presence of each available resource, to `contact` (RFC 6121 §3.1.5, XEP-0191 §3.4). */
  async currentPresenceTo(contact: string): Promise<void> {
    for (const r of this.available()) {
      if (!r.presence) continue;
      const p = parseTrusted(r.presence);
      p.attrs.from = `${this.bare}/${r.resource}`;
      p.attrs.to = contact;
      await this.send(p);
    }
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
    jobs.push(this.events.rosterChanged(this, item, String(ver), gone));
    await Promise.all(jobs);
  }

  /** A stanza the user sends (from `resource`; "" when sent on their behalf), before it is
   *  routed: the answers that refuse it, or null to route it on. */
  async outgoing(stanza: Element, resource: string): Promise<string[] | null> {
    const refused = await this.events.outboundFilter(this, stanza);
    if (refused) return refused;
    if (stanza.name === "message") await this.events.messageSent(this, deepCopy(stanza), resource);
    return null;
  }

  // ---- stanzas addressed to this account (the im feature's handlers call these) -------

  /** RFC 6121 §8.5.2 / §8.5.3: a message to the bare JID or to `resource`. `raw` is the
   *  message as it arrived: forwarded as is, not serialised again. `again`: a message
   *  that arrived before and was written to a resource that never read it (a session
   *  that ended, a slow reader): archived and copied then, so features are not told twice. */
  async receiveMessage(msg: Element, resource: string, raw?: string, opts: { retry?: boolean; again?: boolean } = {}): Promise<string[]> {
    const again = opts.again ?? false;
    const type = parseMessageType(msg.attrs.type);
    const resources = this.resources.list();
    const d = resource ? messageToFull(type, resource, true, resources) : messageToBare(type, true, resources);
    switch (d.kind) {
      case "resources": {
        const changed = !again && (await this.events.messageArriving(this, msg, d.resources));
        const wire = raw !== undefined && !changed ? raw : msg.toString();
        const delivered = await Promise.all(d.resources.map((name) => this.toResource(this.resources.get(name)!, wire)));
        if (delivered.includes(true) && !again) await this.events.messageDelivered(this, msg, d.resources.filter((_, i) => delivered[i]));
        if (delivered.includes(true) || opts.retry === false) return [];
        // Every chosen connection was dead (and is now forgotten): decide once more, which may store it offline.
        await this.pruneDead();
        return this.receiveMessage(msg, resource, undefined, { retry: false, again });
      }
      case "offline": {
        if (!again) await this.events.messageArriving(this, msg, []);
        msg.c("delay", { xmlns: NS.delay, from: this.host.domain, stamp: new Date().toISOString() }).t("Offline storage");
        const refused = this.offline.add(msg.toString(), senderKey(this.config, msg.attrs.from ?? ""));
        if (refused) return [errorReply(msg, "service-unavailable", OFFLINE_REFUSAL_TEXT[refused]).toString()];
        return [];
      }
      case "error":
        return [errorReply(msg, d.condition).toString()];
      case "drop":
        return [];
    }
  }

  /** A contact's broadcast presence that came past this account for `resource`
   *  (src/im/presence-straight.ts) and its connection could not take: delivered only if
   *  the resource is available, as a broadcast to the bare JID would be (RFC 6121 §4.4.3). */
  async presenceToAvailable(resource: string, raw: string): Promise<void> {
    const r = this.resources.get(resource);
    if (r?.available) await this.toResource(r, raw);
  }

  /** RFC 6121 §4.3, §4.4, §3: a presence to the bare JID or to `resource`. */
  async receivePresence(pres: Element, resource: string): Promise<string[]> {
    const type = pres.attrs.type;
    const from = pres.attrs.from ?? "";
    const fromBare = bareOf(from);
    // A contact's probe or presence says its available resources may have changed: the
    // routes this isolate keeps to them are learned again (src/im/presence-straight.ts).
    forgetPresenceRoutes(fromBare);
    const wire = (type ?? "available") as PresenceType;
    const resources = this.resources.list();
    const d = resource ? presenceToFull(wire, resource, true, resources) : presenceToBare(wire, true, resources);
    if (d.kind !== "account") {
      // Available, unavailable or error presence: to the resource, or every available one.
      const targets = d.kind === "resources" ? d.resources.map((name) => this.resources.get(name)!) : [];
      const raw = pres.toString();
      await Promise.all([...targets.map((r) => this.toResource(r, raw)), this.events.contactPresence(this, pres)]);
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

  /** No room for a new pending request: the account's cap, or the sender's share of it. */
  private pendingFull(contact: string): boolean {
    const key = senderKey(this.config, contact);
    return this.roster.pendingCount() >= MAX_PENDING_SUBSCRIPTIONS || (key !== contact && this.roster.pendingCount(key) >= MAX_PENDING_PER_SENDER);
  }

  private async inboundSubscription(pres: Element, contact: string, type: SubscriptionType): Promise<string[]> {
    if (contact === this.bare) return [];
    const item = this.roster.get(contact);
    const decision = inbound(item?.state ?? NO_CONTACT, type);
    // A new pending request beyond the cap is ignored (silently, as for a missing account),
    // so that strangers cannot grow the account's storage without bound.
    if (decision.next.pendingIn && !item?.state.pendingIn && this.pendingFull(contact)) return [];
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

  /** RFC 6120 §8.5.3.1 / RFC 6121 §8.5.3.2.3: an IQ to one of the account's full JIDs. */
  async receiveIqForResource(iq: Element, resource: string, raw: string): Promise<string[]> {
    const d = iqToFull(iq.attrs.type as IqType, resource, true, this.resources.list());
    if (d.kind === "resource") {
      if (await this.toResource(this.resources.get(d.resource)!, raw)) return [];
      // RFC 6120 §8.2.3: a request is always answered; its connection vanished on the way.
      return isResponse(iq) ? [] : [errorReply(iq, "service-unavailable").toString()];
    }
    if (d.kind === "error") return [errorReply(iq, d.condition).toString()];
    return [];
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
