// XEP-0356 Privileged Entity: the decisions, as pure functions of the configuration.
// Nothing here touches storage or the network; the component feature and the account
// hooks apply these where a stanza arises.
//
// References:
//   XEP-0356 v0.4.1 (urn:xmpp:privilege:2)
//     §4.1 / §4.2.2 / §4.3.2 / §4.4.2 advertisement (<perm/>, push attribute, iq <namespace/>)
//     §4.2 roster access (get/set/both, push), §4.3 message access (outgoing),
//     §4.4 IQ access (<privileged_iq/>, the six refusal conditions), §4.5 presence access
//     §9 security considerations (never more than the managed entity could do)
//   XEP-0297 Stanza Forwarding (urn:xmpp:forward:0)
//   RFC 6120 §8.3.3.4 (forbidden), §8.3.3.1 (bad-request)
import type { GatewayConfig, HostConfig, IqAccess, PrivilegeGrant } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, xml } from "../xml/stanza";
import { classify } from "../pipeline/classify";
import { parseJid, bareOf, domainOf } from "../jid/jid";

export interface HostGrant {
  host: string;
  grant: PrivilegeGrant;
}

/** Every host that grants `entity` something, with the grant (XEP-0356 §4: per host). */
export function grantsFor(config: GatewayConfig, entity: string): HostGrant[] {
  const out: HostGrant[] = [];
  for (const host of Object.keys(config.hosts).sort()) {
    const grant = config.hosts[host]!.privileged[entity];
    if (grant) out.push({ host, grant });
  }
  return out;
}

/** The grant `host` gives `entity`, or null. */
export function grantOn(config: GatewayConfig, host: string, entity: string): PrivilegeGrant | null {
  return config.hosts[host]?.privileged[entity] ?? null;
}

/**
 * The privileged entity a (trusted) `from` speaks for: a component's domain for any
 * JID at a configured component, otherwise the bare JID (a user account entity).
 */
export function entityOf(config: GatewayConfig, from: string): string {
  const domain = domainOf(from);
  if (config.components[domain]) return domain;
  return bareOf(from);
}

/** The advertisement <message/> of XEP-0356 §4.1: one <perm/> per access, denied ones included. */
export function advertisement(host: string, grant: PrivilegeGrant, to: string, id: string): Element {
  const priv = xml("privilege", { xmlns: NS.privilege });
  priv.c("perm", { access: "roster", type: grant.roster, push: grant.push ? "true" : "false" });
  priv.c("perm", { access: "message", type: grant.message });
  priv.c("perm", { access: "presence", type: grant.presence });
  const iq = priv.c("perm", { access: "iq" });
  for (const ns of Object.keys(grant.iq).sort()) iq.c("namespace", { ns, type: grant.iq[ns]! });
  return xml("message", { xmlns: NS.client, from: host, to, id }, priv);
}

/** XEP-0356 §4.2: may the entity send a roster IQ of this type? */
export function mayRoster(grant: PrivilegeGrant | null, type: "get" | "set"): boolean {
  if (!grant) return false;
  return grant.roster === "both" || grant.roster === type;
}

/** XEP-0356 §4.2.3: pushes only for get/both and push not false (config already resolved the default). */
export function receivesRosterPushes(grant: PrivilegeGrant): boolean {
  return grant.push && (grant.roster === "get" || grant.roster === "both");
}

/** Entities of `host` that get roster pushes of its users' rosters. */
export function rosterPushTargets(host: HostConfig): string[] {
  return Object.values(host.privileged).filter(receivesRosterPushes).map((g) => g.entity);
}

/**
 * Entities of `host` that receive presences: "own" = the host's users' presences
 * (managed_entity or roster; §4.5.1, roster implies managed_entity), "contacts" = the
 * presences those users receive (roster only; §4.5.2).
 */
export function presenceTargets(host: HostConfig, kind: "own" | "contacts"): string[] {
  return Object.values(host.privileged)
    .filter((g) => (kind === "own" ? g.presence !== "none" : g.presence === "roster"))
    .map((g) => g.entity);
}

/**
 * The directed copy of a presence for a privileged entity (§4.5): only available (no type)
 * and unavailable presences, children kept intact (XEP-0115 caps included); null otherwise.
 */
export function presenceCopy(pres: Element, from: string, to: string): Element | null {
  const type = pres.attrs.type;
  if (type !== undefined && type !== "unavailable") return null;
  const attrs: Record<string, string> = { ...pres.attrs, xmlns: NS.client, from, to };
  return xml("presence", attrs, ...pres.children);
}

function iqAllows(access: IqAccess | undefined, type: string): boolean {
  if (access === "both") return type === "get" || type === "set";
  return access === type;
}

/** The single <privilege/> (or <privileged_iq/>) child of a stanza, or null. */
function privilegeChild(stanza: Element, name: "privilege" | "privileged_iq"): Element | null {
  return stanza.getChildElements().find((c) => c.name === name && c.attrs.xmlns === NS.privilege) ?? null;
}

export function isPrivilegedMessage(stanza: Element): boolean {
  return stanza.name === "message" && privilegeChild(stanza, "privilege") !== null;
}

export function isPrivilegedIq(stanza: Element): boolean {
  return stanza.name === "iq" && privilegeChild(stanza, "privileged_iq") !== null;
}

export type Refusal = { error: "forbidden" | "bad-request"; text: string };

export type MessageCheck =
  | { ok: true; host: string; user: string; inner: Element }
  | Refusal;

/**
 * XEP-0356 §4.3: a <message to=host><privilege><forwarded><message from=user@host/></forwarded></privilege>
 * from `entity`. The inner `from` must be the granting host itself or a bare JID at that host
 * (never a resource, never another virtual host). `inner` is ready to route: jabber:client,
 * `from` normalised. Whether that account exists is for the caller to check.
 */
export function checkPrivilegedMessage(config: GatewayConfig, outer: Element, entity: string): MessageCheck {
  const to = outer.attrs.to ? parseJid(outer.attrs.to) : null;
  if (!to || to.local || to.resource || !config.hosts[to.domain]) {
    return { error: "forbidden", text: "a privileged message is addressed to the host that grants the permission" };
  }
  const host = to.domain;
  const grant = grantOn(config, host, entity);
  if (!grant || grant.message !== "outgoing") {
    return { error: "forbidden", text: `${entity} has no message permission on ${host}` };
  }
  const priv = privilegeChild(outer, "privilege");
  const forwarded = priv?.getChildElements() ?? [];
  if (forwarded.length !== 1 || forwarded[0]!.name !== "forwarded" || forwarded[0]!.attrs.xmlns !== NS.forward) {
    return { error: "bad-request", text: "<privilege/> carries exactly one <forwarded xmlns='urn:xmpp:forward:0'/>" };
  }
  const messages = forwarded[0]!.getChildElements().filter((c) => c.name !== "delay");
  const inner = messages[0];
  if (messages.length !== 1 || !inner || inner.name !== "message") {
    return { error: "bad-request", text: "<forwarded/> carries exactly one <message/>" };
  }
  const ns = inner.attrs.xmlns;
  if (ns !== undefined && ns !== NS.client && ns !== NS.component) {
    return { error: "bad-request", text: "the forwarded message is in jabber:client" };
  }
  const from = inner.attrs.from ? parseJid(inner.attrs.from) : null;
  if (!from) return { error: "forbidden", text: "the forwarded message needs a 'from': a bare JID of the host" };
  if (from.resource) return { error: "forbidden", text: "the forwarded message's 'from' must be a bare JID (no resource)" };
  if (from.domain !== host) return { error: "forbidden", text: `the forwarded message's 'from' must be at ${host}` };
  const innerTo = inner.attrs.to ? parseJid(inner.attrs.to) : null;
  if (!innerTo) return { error: "bad-request", text: "the forwarded message needs a valid 'to'" };
  const routed = xml("message", { ...inner.attrs, xmlns: NS.client, from: from.bare, to: innerTo.full }, ...inner.children);
  return { ok: true, host, user: from.bare, inner: routed };
}

export type IqCheck =
  | { ok: true; host: string; user: string; namespace: string; inner: Element }
  | Refusal;

/**
 * XEP-0356 §4.4: an <iq to=user@host type=T><privileged_iq><iq xmlns='jabber:client' type=T/></privileged_iq></iq>
 * from `entity`. `inheritedNs` is the namespace an inner <iq/> without xmlns would be in
 * (jabber:component:accept on a component stream, jabber:client on a client stream).
 * Refusals (all `forbidden`, §4.4 "MUST refuse"):
 *   (a) the outer `to` is not a bare JID of a host granting the entity something;
 *   (b) no grant for the payload namespace; (c) none for that IQ type;
 *   (d) the inner IQ is not in jabber:client; (e) the inner `from` is neither absent nor the
 *   outer `to`; (f) outer and inner types differ.
 * Malformed wrappers (not exactly one inner <iq/>, not exactly one payload, no inner id,
 * bad inner `to`) get `bad-request`. Whether the account exists is for the caller.
 */
export function checkPrivilegedIq(config: GatewayConfig, outer: Element, entity: string, inheritedNs: string): IqCheck {
  const to = outer.attrs.to ? parseJid(outer.attrs.to) : null;
  if (!to || !to.local || to.resource || !config.hosts[to.domain]) {
    return { error: "forbidden", text: "a privileged IQ is addressed to a managed entity's bare JID" }; // (a)
  }
  const host = to.domain;
  const grant = grantOn(config, host, entity);
  if (!grant) return { error: "forbidden", text: `${host} grants ${entity} no privilege` }; // (a)
  const wrapper = privilegeChild(outer, "privileged_iq");
  const inners = wrapper?.getChildElements() ?? [];
  const inner = inners[0];
  if (outer.getChildElements().length !== 1 || inners.length !== 1 || !inner || inner.name !== "iq") {
    return { error: "bad-request", text: "<privileged_iq/> is the only payload and carries exactly one <iq/>" };
  }
  if ((inner.attrs.xmlns ?? inheritedNs) !== NS.client) {
    return { error: "forbidden", text: "the encapsulated IQ must be in jabber:client" }; // (d)
  }
  if (inner.attrs.from !== undefined && parseJid(inner.attrs.from)?.full !== to.bare) {
    return { error: "forbidden", text: "the encapsulated IQ's 'from' must be absent or the managed entity's bare JID" }; // (e)
  }
  if (inner.attrs.type !== outer.attrs.type) {
    return { error: "forbidden", text: "the encapsulated IQ has the type of the privileged IQ" }; // (f)
  }
  if (inner.attrs.id === undefined || inner.attrs.id === "") {
    return { error: "bad-request", text: "the encapsulated IQ needs an id" };
  }
  const payload = inner.getChildElements();
  if (payload.length !== 1) return { error: "bad-request", text: "the encapsulated IQ carries exactly one payload" };
  const namespace = payload[0]!.attrs.xmlns ?? NS.client;
  const access = grant.iq[namespace];
  if (access === undefined || access === "none") {
    return { error: "forbidden", text: `no IQ permission for ${namespace}` }; // (b)
  }
  if (!iqAllows(access, outer.attrs.type)) {
    return { error: "forbidden", text: `IQ permission for ${namespace} is '${access}', not '${outer.attrs.type}'` }; // (c)
  }
  let innerTo: string | undefined;
  if (inner.attrs.to !== undefined) {
    const t = parseJid(inner.attrs.to);
    if (!t) return { error: "bad-request", text: "the encapsulated IQ's 'to' is not a valid JID" };
    innerTo = t.full;
  }
  const attrs: Record<string, string> = { ...inner.attrs, xmlns: NS.client, from: to.bare };
  if (innerTo === undefined) delete attrs.to;
  else attrs.to = innerTo;
  return { ok: true, host, user: to.bare, namespace, inner: xml("iq", attrs, ...inner.children) };
}

/**
 * A privileged IQ whose `to` is not an account's bare JID never reaches an account: refuse
 * it here with `forbidden` (§4.4 condition a). Null when `iq` is not such a stanza.
 */
export function misaddressedPrivilegedIq(config: GatewayConfig, iq: Element, replyFrom: string): Element | null {
  if (!isPrivilegedIq(iq) || (iq.attrs.type !== "get" && iq.attrs.type !== "set")) return null;
  const to = iq.attrs.to ? parseJid(iq.attrs.to) : null;
  if (to) {
    const dest = classify(config, to);
    // Bare or full JIDs of accounts go to the account, which refuses full JIDs and unknown accounts itself.
    if (dest.kind === "account") return null;
  }
  return errorReply(iq, "forbidden", "a privileged IQ is addressed to a managed entity's bare JID", to?.full ?? replyFrom);
}

/** §4.4.2: the answer to an encapsulated IQ, returned in <privilege><forwarded/></privilege>. */
export function wrappedIqAnswer(answer: Element, user: string, entityJid: string, outerId: string): Element {
  const type = answer.attrs.type === "error" ? "error" : "result";
  const inner = xml("iq", { ...answer.attrs, xmlns: NS.client }, ...answer.children);
  return xml("iq", { xmlns: NS.client, type, from: user, to: entityJid, id: outerId },
    xml("privilege", { xmlns: NS.privilege }, xml("forwarded", { xmlns: NS.forward }, inner)));
}

/** One audit entry (CONTRACT: every privileged action is logged and counted per entity). */
export interface AuditEvent {
  entity: string;
  access: "roster" | "message" | "presence" | "iq";
  /** e.g. "get", "set", "outgoing", a namespace's type */
  action: string;
  user: string | null;
  outcome: "ok" | "forbidden" | "bad-request" | "error" | "timeout";
  detail?: string;
}

/** The structured log line for an audit event. */
export function auditLine(e: AuditEvent): string {
  const line: Record<string, string> = { event: "privilege", entity: e.entity, access: e.access, action: e.action, outcome: e.outcome };
  if (e.user) line.user = e.user;
  if (e.detail) line.detail = e.detail;
  return JSON.stringify(line);
}

/** The counter key of an audit event: "access/outcome". */
export function auditKey(e: Pick<AuditEvent, "access" | "outcome">): string {
  return `${e.access}/${e.outcome}`;
}
