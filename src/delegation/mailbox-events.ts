// XEP-0355 in the component's mailbox: advertisement, disco nesting, forwarded requests
// and their replies, timeouts (the object's alarm) and disconnection.
//
// References: XEP-0355 v0.5 §Advertisement, §Stanza forwarding (N.B. 1, 2), §Disco nesting,
// §Implementation notes (2: query the nesting nodes and cache them).
import type { ComponentEvents, ComponentMailbox } from "../component/mailbox";
import type { GatewayConfig } from "../config";
import type { Services } from "../pipeline/context";
import { route } from "../pipeline/route";
import { perStorage } from "../storage/per-storage";
import type { Delegation, HostConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, newId, xml } from "../xml/stanza";
import { DelegationStore, type PendingRequests } from "./store";
import {
  type DiscoExtras,
  type DiscoExtrasWire,
  type NestingKind,
  type PendingRequest,
  advertisement,
  emptyExtras,
  failureReply,
  forwardWrapper,
  mergeExtras,
  nestedNamespaces,
  nestingNode,
  parseDiscoAnswer,
  validateReply,
} from "./rules";
import { parseTrusted } from "../xml/frame-parser";
import { type DelegationCounter, sqlCounter } from "./counters";

/** Delegated requests waiting for one component's answers; more get resource-constraint (wait). */
export const MAX_PENDING_DELEGATIONS = 1000;

/**
 * Where delegated requests wait for their answers: the component's mailbox, or (the fast
 * path, ./connection-delegations.ts) the component's connection object itself.
 */
export interface DelegationSite {
  readonly services: Services;
  readonly config: GatewayConfig;
  readonly jid: string;
  readonly store: { currentSession(): string | null; readonly sql: SqlStorage; setAlarm(at: number | null): Promise<void> };
  toComponent(stanza: Element | string): Promise<boolean>;
  /** Where the site keeps pending requests and counts outcomes (default: its SQLite). */
  readonly pending?: PendingRequests;
  readonly counter?: DelegationCounter;
}

const delegationStore = perStorage((sql) => new DelegationStore(sql));
const storeOf = (site: DelegationSite) => delegationStore(site.store.sql);
const pendingOf = (site: DelegationSite): PendingRequests => site.pending ?? storeOf(site);
const counterOf = (site: DelegationSite): DelegationCounter => site.counter ?? sqlCounter(site.store.sql);

function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** Hosts with delegations to this component, and those delegations. */
function delegationsTo(mailbox: ComponentMailbox): { host: HostConfig; delegations: Delegation[] }[] {
  const out: { host: HostConfig; delegations: Delegation[] }[] = [];
  for (const host of Object.values(mailbox.config.hosts)) {
    const delegations = Object.values(host.delegations).filter((d) => d.jid === mailbox.jid);
    if (delegations.length) out.push({ host, delegations });
  }
  return out;
}

async function schedule(mailbox: DelegationSite, store: PendingRequests): Promise<void> {
  await mailbox.store.setAlarm(store.earliestDeadline());
}

/** Sends the answer of a forwarded request (or its failure) to the original sender. */
async function answer(mailbox: DelegationSite, reply: Element): Promise<void> {
  try {
    await route(mailbox.services, { kind: "server" }, reply);
  } catch (e) {
    log("delegation-answer-undeliverable", { component: mailbox.jid, to: reply.attrs.to, error: String(e) });
  }
}

async function failAll(mailbox: DelegationSite, pending: PendingRequest[], text: string): Promise<void> {
  for (const p of pending) counterOf(mailbox).outcome(p.outerId, "failed");
  await Promise.all(pending.map((p) => answer(mailbox, failureReply(p, text))));
}

/**
 * Forwards a delegated request (its `to` already filled in, `from` stamped) to the
 * component. Returns the immediate answer for the sender: [] when forwarded (the
 * reply follows later), service-unavailable when the component is not connected.
 */
export async function delegateRequest(mailbox: DelegationSite, raw: string, hostDomain: string): Promise<string[]> {
  const iq = parseTrusted(raw);
  const store = pendingOf(mailbox);
  const pending: PendingRequest = {
    outerId: newId(OWN_ID_PREFIX.slice(0, -1)),
    host: hostDomain,
    from: iq.attrs.from ?? "",
    to: iq.attrs.to ?? hostDomain,
    id: iq.attrs.id ?? "",
    deadline: Date.now() + mailbox.config.delegationTimeoutMs,
  };
  const offline = () => [failureReply(pending, `${mailbox.jid} is not connected`).toString()];
  if (!mailbox.store.currentSession()) {
    counterOf(mailbox).unforwarded(iq);
    return offline();
  }
  // Bounded: a component that stops answering does not grow its mailbox without end.
  if (store.pendingCount() >= MAX_PENDING_DELEGATIONS) {
    return [errorReply(iq, "resource-constraint", `${mailbox.jid} has too many requests waiting`, pending.to).toString()];
  }
  store.addPending(pending);
  counterOf(mailbox).forwarded(iq, pending.outerId);
  await schedule(mailbox, store);
  const sent = await mailbox.toComponent(forwardWrapper(hostDomain, mailbox.jid, pending.outerId, iq));
  if (!sent) {
    // toComponent detached the session, which answered every pending request already.
    if (!store.takePending(pending.outerId)) return [];
    counterOf(mailbox).outcome(pending.outerId, "failed");
    return offline();
  }
  return [];
}

/**
 * The component's answer to a request pending at `site`: validated (XEP-0355 §Stanza
 * forwarding) and routed to the original sender, or a failure in its place. False when
 * nothing with that id is pending there.
 */
export async function takeAnswer(site: DelegationSite, stanza: Element): Promise<boolean> {
  const id = stanza.attrs.id ?? "";
  const store = pendingOf(site);
  const pending = store.takePending(id);
  if (!pending) return false;
  await schedule(site, store);
  const check = validateReply(pending, stanza);
  counterOf(site).outcome(id, check.ok ? "answered" : "failed");
  if (check.ok) {
    await answer(site, check.reply);
  } else {
    log("delegation-bad-reply", { component: site.jid, outerId: id, reason: check.reason });
    await answer(site, failureReply(pending, "the managing entity's answer was invalid"));
  }
  return true;
}

/** Every request pending at `site` is answered with a failure (the component went away). */
export async function failPending(site: DelegationSite, text: string): Promise<void> {
  const store = pendingOf(site);
  await failAll(site, store.takeDue(), text);
  await schedule(site, store);
}

/** The object's alarm: answers expired requests with service-unavailable and forgets them. */
export async function delegationAlarm(mailbox: DelegationSite): Promise<void> {
  const store = pendingOf(mailbox);
  const due = store.takeDue(Date.now());
  for (const p of due) log("delegation-timeout", { component: mailbox.jid, outerId: p.outerId, sender: p.from });
  for (const p of due) counterOf(mailbox).outcome(p.outerId, "timed_out");
  await failAll(mailbox, due, `${mailbox.jid} did not answer in time`);
  await schedule(mailbox, store);
}

/** The cached nesting answers for these namespaces (§Disco nesting). */
export function cachedDiscoExtras(mailbox: ComponentMailbox, kind: NestingKind, namespaces: string[]): DiscoExtrasWire {
  const store = storeOf(mailbox);
  const parts: DiscoExtras[] = [];
  for (const ns of namespaces) {
    const q = store.disco(nestingNode(kind, ns));
    if (q) parts.push(parseDiscoAnswer(parseTrusted(q)));
  }
  const m = mergeExtras(parts);
  return { identities: m.identities.map(String), features: m.features, forms: m.forms.map(String) };
}

/** Client mode: remembers what `user` grants this component now. */
export function setClientGrants(mailbox: ComponentMailbox, user: string, host: string, namespaces: string[]): void {
  storeOf(mailbox).setClientGrants(user, host, namespaces);
}

/** Ids of the IQs the mailbox sends a component (forwarded requests, disco queries) start so. */
const OWN_ID_PREFIX = "dlg-";

export const delegationMailboxEvents: Pick<ComponentEvents, "connected" | "disconnected" | "takes" | "fromComponent"> = {
  /** Answers to what the mailbox sent the component: only it knows what is pending. */
  takes(_config, stanza) {
    return stanza.name === "iq" && (stanza.attrs.type === "result" || stanza.attrs.type === "error") && (stanza.attrs.id ?? "").startsWith(OWN_ID_PREFIX);
  },

  async connected(mailbox) {
    const store = storeOf(mailbox);
    // Requests sent to a previous connection will never be answered by this one.
    await failAll(mailbox, store.takeDue(), `${mailbox.jid} reconnected`);
    await schedule(mailbox, store);
    // Client mode (§Client delegation): every user's grants, advertised with <delegation to='user'>,
    // limited to what the host still allows (hosts.H.client_delegation may have shrunk since).
    for (const g of store.clientGrants()) {
      const allowed = mailbox.config.hosts[g.host]?.clientDelegation ?? [];
      const namespaces = g.namespaces.filter((ns) => allowed.includes(ns));
      if (!namespaces.length) continue;
      const delegations = namespaces.map((namespace) => ({ namespace, jid: mailbox.jid, filtering: [] }));
      await mailbox.toComponent(advertisement(g.host, mailbox.jid, newId("dlg-cadv"), delegations, g.user));
    }
    const targets = delegationsTo(mailbox);
    if (!targets.length) return;
    store.clearDiscoQueries();
    const queried = new Set<string>();
    for (const { host, delegations } of targets) {
      await mailbox.toComponent(advertisement(host.domain, mailbox.jid, newId("dlg-adv"), delegations));
    }
    // §Implementation notes 2: query every nesting node, on every (re)connection.
    for (const { host } of targets) {
      for (const ns of nestedNamespaces(host, mailbox.jid)) {
        for (const kind of ["host", "bare"] as const) {
          const node = nestingNode(kind, ns);
          if (queried.has(node)) continue;
          queried.add(node);
          const id = newId("dlg-disco");
          store.addDiscoQuery(id, node);
          await mailbox.toComponent(
            xml("iq", { xmlns: NS.client, from: host.domain, to: mailbox.jid, type: "get", id }, xml("query", { xmlns: NS.discoInfo, node })),
          );
        }
      }
    }
  },

  async disconnected(mailbox) {
    const store = storeOf(mailbox);
    await failAll(mailbox, store.takeDue(), `${mailbox.jid} disconnected`);
    store.clearDiscoQueries();
    await schedule(mailbox, store);
  },

  async fromComponent(mailbox, stanza) {
    if (stanza.name !== "iq" || (stanza.attrs.type !== "result" && stanza.attrs.type !== "error")) return null;
    if (await takeAnswer(mailbox, stanza)) return [];
    const id = stanza.attrs.id ?? "";
    const store = storeOf(mailbox);
    const node = store.takeDiscoQuery(id);
    if (node !== null) {
      const query = stanza.attrs.type === "result" ? stanza.getChild("query", NS.discoInfo) : undefined;
      store.setDisco(node, query ? query.toString() : null);
      return [];
    }
    if (stanza.getChild("delegation", NS.delegation)) {
      // A reply to a request this component was never sent (or that already timed out).
      log("delegation-reply-dropped", { component: mailbox.jid, id, reason: "unknown id" });
      return [];
    }
    return null;
  },
};
