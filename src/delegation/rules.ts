// XEP-0355 (Namespace Delegation, v0.5) as pure functions: which IQs are delegated,
// the forwarding wrapper, the validation of the managing entity's reply, the
// advertisement and the disco nesting. No storage and no sockets here.
//
// References:
//   XEP-0355 §Server configuration, §Advertisement (admin mode), §Stanza forwarding
//   (incl. N.B. 1-3), §Managing entity's stanzas, §Disco nesting, §Remaining disco info,
//   §Bare JID disco items, §Business rules 5; XEP-0297 (forwarded); XEP-0030; XEP-0128.
import type { Delegation, HostConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqPayload, xml } from "../xml/stanza";
import { bareOf, domainOf, parseJid } from "../jid/jid";
import { parseTrusted } from "../xml/frame-parser";
import { namespaceOf as resolvedNamespace } from "../xml/namespace-of";
import { clone } from "ltx";

export const DELEGATION_NS = NS.delegation;
/** Pseudo-namespace: bare-JID disco#info for nodes the server does not manage (§Remaining disco info). */
export const BARE_DISCO_INFO = `${NS.delegation}:bare:disco#info:*`;
/** Pseudo-namespace: bare-JID disco#items without node or with unmanaged nodes (§Bare JID disco items). */
export const BARE_DISCO_ITEMS = `${NS.delegation}:bare:disco#items:*`;
export const PSEUDO_NAMESPACES: readonly string[] = [BARE_DISCO_INFO, BARE_DISCO_ITEMS];

/** Where the request was addressed: the host itself, or a user's bare JID (also: no `to`). */
export type Target = "host" | "bare";
export type Forbidden = { forbidden: true };
export type Match = Delegation | Forbidden | null;

export function isForbidden(m: Match): m is Forbidden {
  return m !== null && "forbidden" in m;
}

/** The namespace of an element, declared on it or inherited ("" for none). */
export function namespaceOf(el: Element): string {
  return resolvedNamespace(el) ?? "";
}

/** Is `iq` a client-mode delegation request (§Client delegation: query with a `to`)? */
export function isClientModeRequest(iq: Element): boolean {
  if (iq.attrs.type !== "get" && iq.attrs.type !== "set") return false;
  const payload = iqPayload(iq);
  return !!payload && payload.name === "query" && namespaceOf(payload) === DELEGATION_NS && payload.attrs.to !== undefined;
}

/** Is `sender` (a full or bare JID) the managing entity of `d`? Its IQs are never forwarded to it. */
export function sentByManager(d: Delegation, sender: string | undefined): boolean {
  if (!sender) return false;
  return domainOf(sender) === d.jid || bareOf(sender) === d.jid;
}

/** §Stanza forwarding N.B. 3: every filtering attribute must be present (its value is not looked at). */
export function passesFiltering(d: Delegation, payload: Element): boolean {
  return d.filtering.every((a) => payload.attrs[a] !== undefined);
}

/**
 * Decides whether an IQ is delegated on `host`. `target` is what it was addressed to
 * (`"bare"` covers a missing `to`); `senderFrom` is the stamped `from`.
 * Only get/set requests with exactly one payload are candidates (results and errors
 * are not requests). A request in urn:xmpp:delegation:2 itself is `forbidden`
 * (§Business rules 5); the caller handles the client-mode request before this.
 */
export function findDelegation(host: HostConfig, iq: Element, target: Target, senderFrom: string | undefined): Match {
  if (iq.attrs.type !== "get" && iq.attrs.type !== "set") return null;
  const payload = iqPayload(iq);
  if (!payload) return null;
  const ns = namespaceOf(payload);
  if (ns === DELEGATION_NS) return { forbidden: true };
  const d = host.delegations[ns] ?? (target === "bare" ? bareDiscoDelegation(host, iq.attrs.type, payload, ns) : undefined);
  if (!d) return null;
  if (sentByManager(d, senderFrom)) return null;
  if (!passesFiltering(d, payload)) return null;
  return d;
}

/** The disco pseudo-namespaces, which only apply to disco gets on bare JIDs. */
function bareDiscoDelegation(host: HostConfig, type: string, payload: Element, ns: string): Delegation | undefined {
  if (type !== "get" || payload.name !== "query") return undefined;
  // The server manages bare-JID disco#info without a node only; disco#items, none at all.
  if (ns === NS.discoInfo && payload.attrs.node !== undefined) return host.delegations[BARE_DISCO_INFO];
  if (ns === NS.discoItems) return host.delegations[BARE_DISCO_ITEMS];
  return undefined;
}

// ---- forwarding ---------------------------------------------------------------------

/** What the router remembers about a forwarded request until its answer (or timeout). */
export interface PendingRequest {
  /** The server-generated id of the outer IQ sent to the managing entity. */
  outerId: string;
  /** The host the delegation is configured on (the outer IQ's `from`). */
  host: string;
  /** The original sender (stamped full JID). */
  from: string;
  /** The original `to`, or the bare JID / host when the request had none; also the reply's `from`. */
  to: string;
  /** The original id. */
  id: string;
  /** Epoch ms after which the sender gets service-unavailable. */
  deadline: number;
}

/** The `to` the managing entity sees: the original one, or the sender's bare JID / the host. */
export function effectiveTo(iq: Element, target: Target, hostDomain: string, senderBare: string | null): string {
  if (iq.attrs.to) return iq.attrs.to;
  return target === "bare" && senderBare ? senderBare : hostDomain;
}

/**
 * §Stanza forwarding: the original IQ (`to` already filled in) inside
 * <delegation><forwarded xmlns='urn:xmpp:forward:0'>, in jabber:client, its id/from/to kept.
 */
export function forwardWrapper(hostDomain: string, component: string, outerId: string, original: Element): Element {
  const inner = deepCopy(original);
  inner.attrs.xmlns = NS.client;
  return xml(
    "iq",
    { xmlns: NS.client, from: hostDomain, to: component, type: "set", id: outerId },
    xml("delegation", { xmlns: DELEGATION_NS }, xml("forwarded", { xmlns: NS.forward }, inner)),
  );
}

/** A deep copy of an element (no serialising and parsing again). */
export function deepCopy(el: Element): Element {
  return clone(el) as Element;
}

/** The wrapped IQ inside <delegation><forwarded>, or null when the wrapper is not there. */
export function unwrap(outer: Element): Element | null {
  const delegation = outer.getChild("delegation", DELEGATION_NS);
  const forwarded = delegation?.getChild("forwarded", NS.forward);
  const inner = forwarded?.getChildElements() ?? [];
  if (inner.length !== 1 || inner[0]!.name !== "iq") return null;
  return inner[0]!;
}

export type ReplyCheck = { ok: true; reply: Element } | { ok: false; reason: string };

function sameJid(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  return parseJid(a)?.full === parseJid(b)?.full;
}

/**
 * §Stanza forwarding: checks the managing entity's answer and extracts the reply for
 * the sender. Inner `to` must be the original `from`, inner `from` absent or the `to`
 * it was sent, inner id the original id, inner type result or error (a component's
 * stanza error, e.g. item-not-found, is passed on). The reply is re-addressed by the
 * gateway: the component never chooses its `from`.
 */
export function validateReply(pending: PendingRequest, outer: Element): ReplyCheck {
  if (outer.attrs.type === "error") return { ok: false, reason: "the managing entity returned an error" };
  if (outer.attrs.type !== "result") return { ok: false, reason: `outer type ${outer.attrs.type ?? "(none)"}` };
  const inner = unwrap(outer);
  if (!inner) return { ok: false, reason: "no <delegation><forwarded><iq/> in the reply" };
  const innerNs = inner.attrs.xmlns;
  if (innerNs !== undefined && innerNs !== NS.client && innerNs !== NS.component) return { ok: false, reason: `inner namespace ${innerNs}` };
  if (!sameJid(inner.attrs.to, pending.from)) return { ok: false, reason: `inner to ${inner.attrs.to ?? "(none)"} is not ${pending.from}` };
  if (inner.attrs.from !== undefined && !sameJid(inner.attrs.from, pending.to)) {
    return { ok: false, reason: `inner from ${inner.attrs.from} is not ${pending.to}` };
  }
  if (inner.attrs.id !== pending.id) return { ok: false, reason: `inner id ${inner.attrs.id ?? "(none)"} is not ${pending.id}` };
  if (inner.attrs.type !== "result" && inner.attrs.type !== "error") return { ok: false, reason: `inner type ${inner.attrs.type ?? "(none)"}` };
  const reply = deepCopy(inner);
  reply.attrs = { ...reply.attrs, xmlns: NS.client, from: pending.to, to: pending.from, id: pending.id };
  return { ok: true, reply };
}

/** The service-unavailable answer for a request that failed or timed out (N.B. 1, N.B. 2). */
export function failureReply(pending: PendingRequest, text?: string): Element {
  const original = xml("iq", { xmlns: NS.client, type: "get", id: pending.id, from: pending.from, to: pending.to });
  return errorReply(original, "service-unavailable", text, pending.to);
}

// ---- advertisement ------------------------------------------------------------------

/**
 * §Advertisement: one <delegated namespace=…/> per delegation, with an <attribute name=…/>
 * per filtering attribute. `user` is set for client mode (<delegation to='user'>).
 */
export function advertisement(hostDomain: string, component: string, id: string, delegations: Delegation[], user?: string): Element {
  const d = xml("delegation", user ? { xmlns: DELEGATION_NS, to: user } : { xmlns: DELEGATION_NS });
  for (const del of delegations) {
    const el = d.c("delegated", { namespace: del.namespace });
    for (const a of del.filtering) el.c("attribute", { name: a });
  }
  return xml("message", { xmlns: NS.client, from: hostDomain, to: component, id }, d);
}

// ---- disco nesting ------------------------------------------------------------------

export type NestingKind = "host" | "bare";

/** §Disco nesting: `urn:xmpp:delegation:2::NS` (server) or `urn:xmpp:delegation:2:bare:NS` (bare JIDs). */
export function nestingNode(kind: NestingKind, namespace: string): string {
  return kind === "host" ? `${DELEGATION_NS}::${namespace}` : `${DELEGATION_NS}:bare:${namespace}`;
}

/** The parts of a disco#info answer that are merged: identities, features, XEP-0128 forms. */
export interface DiscoExtras {
  identities: Element[];
  features: string[];
  forms: Element[];
}

export function emptyExtras(): DiscoExtras {
  return { identities: [], features: [], forms: [] };
}

/** Reads the extras out of the managing entity's disco#info <query/>. */
export function parseDiscoAnswer(query: Element): DiscoExtras {
  const out = emptyExtras();
  for (const child of query.getChildElements()) {
    if (child.name === "identity" && child.attrs.category && child.attrs.type) {
      const attrs: Record<string, string> = { category: child.attrs.category, type: child.attrs.type };
      if (child.attrs.name) attrs.name = child.attrs.name;
      if (child.attrs["xml:lang"]) attrs["xml:lang"] = child.attrs["xml:lang"];
      out.identities.push(xml("identity", attrs));
    } else if (child.name === "feature" && child.attrs.var) {
      out.features.push(child.attrs.var);
    } else if (child.name === "x" && namespaceOf(child) === NS.dataForms) {
      const form = deepCopy(child);
      form.attrs.xmlns = NS.dataForms;
      out.forms.push(form);
    }
  }
  return out;
}

export function mergeExtras(all: DiscoExtras[]): DiscoExtras {
  const out = emptyExtras();
  for (const e of all) {
    out.identities.push(...e.identities);
    out.features.push(...e.features);
    out.forms.push(...e.forms);
  }
  return out;
}

/** The FORM_TYPE of a XEP-0128 form, or "" when it has none. */
export function formType(form: Element): string {
  for (const f of form.getChildren("field")) {
    if (f.attrs.var === "FORM_TYPE") return f.getChildText("value") ?? "";
  }
  return "";
}

/**
 * §Disco nesting: the server's own features for a delegated namespace are replaced by the
 * managing entity's (everything starting with the namespace, e.g. `…pubsub#publish` for
 * `…pubsub`; forms whose FORM_TYPE starts with it too), then the extras are added.
 * Mutates and returns `query`.
 */
export function applyDelegatedDisco(query: Element, delegated: string[], extras: DiscoExtras): Element {
  const hidden = (v: string) => delegated.some((ns) => v.startsWith(ns));
  const seenFeatures = new Set<string>();
  const seenIdentities = new Set<string>();
  const keyOf = (id: Element) => `${id.attrs.category}/${id.attrs.type}/${id.attrs.name ?? ""}/${id.attrs["xml:lang"] ?? ""}`;
  const own = query.getChildElements();
  query.children = [];
  const identities: Element[] = [];
  const features: Element[] = [];
  const forms: Element[] = [];
  for (const child of own) {
    if (child.name === "identity") {
      if (!seenIdentities.has(keyOf(child))) identities.push(child);
      seenIdentities.add(keyOf(child));
    } else if (child.name === "feature") {
      const v = child.attrs.var ?? "";
      if (!hidden(v) && !seenFeatures.has(v)) features.push(child);
      seenFeatures.add(v);
    } else if (child.name === "x" && hidden(formType(child))) {
      continue;
    } else {
      forms.push(child);
    }
  }
  for (const id of extras.identities) {
    if (!seenIdentities.has(keyOf(id))) identities.push(id);
    seenIdentities.add(keyOf(id));
  }
  for (const v of extras.features) {
    if (!features.some((f) => f.attrs.var === v)) features.push(xml("feature", { var: v }));
  }
  forms.push(...extras.forms);
  for (const c of [...identities, ...features, ...forms]) query.cnode(c);
  return query;
}

/** The delegated namespaces of a host that have disco nesting (the pseudo-namespaces do not). */
export function nestedNamespaces(host: HostConfig, component?: string): string[] {
  return Object.values(host.delegations)
    .filter((d) => !PSEUDO_NAMESPACES.includes(d.namespace) && (component === undefined || d.jid === component))
    .map((d) => d.namespace);
}

/** Serialised disco extras, as they cross the RPC boundary. */
export interface DiscoExtrasWire {
  identities: string[];
  features: string[];
  forms: string[];
}

export function extrasFromWire(w: DiscoExtrasWire): DiscoExtras {
  const e = emptyExtras();
  e.identities = w.identities.map(parseTrusted);
  e.features = [...w.features];
  e.forms = w.forms.map(parseTrusted);
  return e;
}
