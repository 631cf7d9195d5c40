// XEP-0355 on the component router: advertisement, disco nesting, forwarded requests
// and their replies, timeouts (the object's alarm) and disconnection.
//
// References: XEP-0355 v0.5 §Advertisement, §Stanza forwarding (N.B. 1, 2), §Disco nesting,
// §Implementation notes (2: query the nesting nodes and cache them).
import type { ComponentFeature } from "../component/hooks";
import type { Router } from "../component/router";
import type { Delegation, HostConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, newId, xml } from "../xml/stanza";
import { routeStanza } from "../routing/route";
import { DelegationStore } from "./store";
import {
  type DiscoExtras,
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
import { countForwarded, countOutcome, countUnforwarded } from "./counters";

const stores = new WeakMap<SqlStorage, DelegationStore>();
function storeOf(router: Router): DelegationStore {
  let s = stores.get(router.store.sql);
  if (!s) {
    s = new DelegationStore(router.store.sql);
    stores.set(router.store.sql, s);
  }
  return s;
}

function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/** Hosts with delegations to this component, and those delegations. */
function delegationsTo(router: Router): { host: HostConfig; delegations: Delegation[] }[] {
  const out: { host: HostConfig; delegations: Delegation[] }[] = [];
  for (const host of Object.values(router.config.hosts)) {
    const delegations = Object.values(host.delegations).filter((d) => d.jid === router.jid);
    if (delegations.length) out.push({ host, delegations });
  }
  return out;
}

async function schedule(router: Router, store: DelegationStore): Promise<void> {
  await router.store.setAlarm(store.earliestDeadline());
}

/** Sends the answer of a forwarded request (or its failure) to the original sender. */
async function answer(router: Router, reply: Element): Promise<void> {
  try {
    await routeStanza(router.env, router.config, reply);
  } catch (e) {
    log("delegation-answer-undeliverable", { component: router.jid, to: reply.attrs.to, error: String(e) });
  }
}

async function failAll(router: Router, pending: PendingRequest[], text: string): Promise<void> {
  for (const p of pending) countOutcome(router.store.sql, p.outerId, "failed");
  await Promise.all(pending.map((p) => answer(router, failureReply(p, text))));
}

/**
 * Forwards a delegated request (its `to` already filled in, `from` stamped) to the
 * component. Returns the immediate answer for the sender: [] when forwarded (the
 * reply follows later), service-unavailable when the component is not connected.
 */
export async function delegateRequest(router: Router, raw: string, hostDomain: string): Promise<string[]> {
  const iq = parseTrusted(raw);
  const store = storeOf(router);
  const pending: PendingRequest = {
    outerId: newId("dlg"),
    host: hostDomain,
    from: iq.attrs.from ?? "",
    to: iq.attrs.to ?? hostDomain,
    id: iq.attrs.id ?? "",
    deadline: Date.now() + router.config.delegationTimeoutMs,
  };
  const offline = () => [failureReply(pending, `${router.jid} is not connected`).toString()];
  if (!router.store.currentSession()) {
    countUnforwarded(router.store.sql, iq);
    return offline();
  }
  store.addPending(pending);
  countForwarded(router.store.sql, iq, pending.outerId);
  await schedule(router, store);
  const sent = await router.toComponent(forwardWrapper(hostDomain, router.jid, pending.outerId, iq));
  if (!sent) {
    // toComponent detached the session, which answered every pending request already.
    if (!store.takePending(pending.outerId)) return [];
    countOutcome(router.store.sql, pending.outerId, "failed");
    return offline();
  }
  return [];
}

/** The object's alarm: answers expired requests with service-unavailable and forgets them. */
export async function delegationAlarm(router: Router): Promise<void> {
  const store = storeOf(router);
  const due = store.takeDue(Date.now());
  for (const p of due) log("delegation-timeout", { component: router.jid, outerId: p.outerId, sender: p.from });
  for (const p of due) countOutcome(router.store.sql, p.outerId, "timed_out");
  await failAll(router, due, `${router.jid} did not answer in time`);
  await schedule(router, store);
}

/** Serialised disco extras, as they cross the RPC boundary. */
export interface DiscoExtrasWire {
  identities: string[];
  features: string[];
  forms: string[];
}

/** The cached nesting answers for these namespaces (§Disco nesting). */
export function cachedDiscoExtras(router: Router, kind: NestingKind, namespaces: string[]): DiscoExtrasWire {
  const store = storeOf(router);
  const parts: DiscoExtras[] = [];
  for (const ns of namespaces) {
    const q = store.disco(nestingNode(kind, ns));
    if (q) parts.push(parseDiscoAnswer(parseTrusted(q)));
  }
  const m = mergeExtras(parts);
  return { identities: m.identities.map(String), features: m.features, forms: m.forms.map(String) };
}

export function extrasFromWire(w: DiscoExtrasWire): DiscoExtras {
  const e = emptyExtras();
  e.identities = w.identities.map(parseTrusted);
  e.features = [...w.features];
  e.forms = w.forms.map(parseTrusted);
  return e;
}

/** Client mode: remembers what `user` grants this component now. */
export function setClientGrants(router: Router, user: string, host: string, namespaces: string[]): void {
  storeOf(router).setClientGrants(user, host, namespaces);
}

export const delegationFeature: ComponentFeature = {
  async connected(router) {
    const store = storeOf(router);
    // Requests sent to a previous connection will never be answered by this one.
    await failAll(router, store.takeDue(), `${router.jid} reconnected`);
    await schedule(router, store);
    // Client mode (§Client delegation): every user's grants, advertised with <delegation to='user'>,
    // limited to what the host still allows (hosts.H.client_delegation may have shrunk since).
    for (const g of store.clientGrants()) {
      const allowed = router.config.hosts[g.host]?.clientDelegation ?? [];
      const namespaces = g.namespaces.filter((ns) => allowed.includes(ns));
      if (!namespaces.length) continue;
      const delegations = namespaces.map((namespace) => ({ namespace, jid: router.jid, filtering: [] }));
      await router.toComponent(advertisement(g.host, router.jid, newId("dlg-cadv"), delegations, g.user));
    }
    const targets = delegationsTo(router);
    if (!targets.length) return;
    store.clearDiscoQueries();
    const queried = new Set<string>();
    for (const { host, delegations } of targets) {
      await router.toComponent(advertisement(host.domain, router.jid, newId("dlg-adv"), delegations));
    }
    // §Implementation notes 2: query every nesting node, on every (re)connection.
    for (const { host } of targets) {
      for (const ns of nestedNamespaces(host, router.jid)) {
        for (const kind of ["host", "bare"] as const) {
          const node = nestingNode(kind, ns);
          if (queried.has(node)) continue;
          queried.add(node);
          const id = newId("dlg-disco");
          store.addDiscoQuery(id, node);
          await router.toComponent(
            xml("iq", { xmlns: NS.client, from: host.domain, to: router.jid, type: "get", id }, xml("query", { xmlns: NS.discoInfo, node })),
          );
        }
      }
    }
  },

  async disconnected(router) {
    const store = storeOf(router);
    await failAll(router, store.takeDue(), `${router.jid} disconnected`);
    store.clearDiscoQueries();
    await schedule(router, store);
  },

  async fromComponent(router, stanza) {
    if (stanza.name !== "iq" || (stanza.attrs.type !== "result" && stanza.attrs.type !== "error")) return null;
    const id = stanza.attrs.id ?? "";
    const store = storeOf(router);
    const pending = store.takePending(id);
    if (pending) {
      await schedule(router, store);
      const check = validateReply(pending, stanza);
      countOutcome(router.store.sql, id, check.ok ? "answered" : "failed");
      if (check.ok) {
        await answer(router, check.reply);
      } else {
        log("delegation-bad-reply", { component: router.jid, outerId: id, reason: check.reason });
        await answer(router, failureReply(pending, "the managing entity's answer was invalid"));
      }
      return [];
    }
    const node = store.takeDiscoQuery(id);
    if (node !== null) {
      const query = stanza.attrs.type === "result" ? stanza.getChild("query", NS.discoInfo) : undefined;
      store.setDisco(node, query ? query.toString() : null);
      return [];
    }
    if (stanza.getChild("delegation", NS.delegation)) {
      // A reply to a request this component was never sent (or that already timed out).
      log("delegation-reply-dropped", { component: router.jid, id, reason: "unknown id" });
      return [];
    }
    return null;
  },
};
