// XEP-0355 client mode: a managing entity asks to handle namespaces for one user; the
// user says yes or no through a XEP-0004 form (in a message, or through the ad-hoc
// command urn:xmpp:delegation:2#configure, which also lists and revokes grants).
// Grants live in the user's AccountObject and persist, since the command exists.
//
// Flow (README.md, "Client mode"):
//   1. manager → host: <iq type='set'><query xmlns='urn:xmpp:delegation:2' to='user@host'>
//      <delegate namespace='NS'/>…</query></iq>; the gateway answers `result` at once (the
//      request was passed on; v0.5 does not define this answer) and stores the request.
//   2. host → user@host: <message> with a form (FORM_TYPE urn:xmpp:delegation:2, one boolean
//      field per namespace, var = the namespace, default 0, a warning, a hidden `challenge`).
//   3. user → host: <message> with the submitted form, or the ad-hoc command. Only a field
//      value of 1/true grants; anything else refuses.
//   4. host → manager: <message><delegation xmlns='urn:xmpp:delegation:2' to='user@host'>
//      <delegated namespace='NS'/>…</delegation></message>, sent again (possibly empty) on
//      every change and whenever the manager reconnects.
//   5. Forwarding (§Client mode forwarding): IQs to the host from the user on a granted
//      namespace, and IQs to the user's bare JID (or without `to`) on a granted namespace,
//      from anyone but the manager; nothing else.
//
// Client mode is opt-in per host: only the namespaces in hosts.H.client_delegation can be
// requested or forwarded (an operator removing one stops its grants from being used).
// Pending requests expire after REQUEST_TTL_MS and at most MAX_PENDING_REQUESTS are kept
// per user. Deleting an account withdraws its grants from the managers (withdrawClientGrants).
//
// References: XEP-0355 v0.5 §Client delegation, §Client mode forwarding, §Configuration,
// §Business rules 1-4, §Security 2 (the server MAY filter namespaces), §Security 4;
// XEP-0004 (forms); XEP-0050 (ad-hoc commands).
import type { Env } from "../env";
import { CLIENT_MODE_KEPT, clientNamespaceProblem, hostOf, loadConfig, type GatewayConfig, type HostConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqPayload, iqResult, newId, xml } from "../xml/stanza";
import { accountStub, componentStub, routeStanza } from "../routing/route";
import { bareOf, domainOf, parseJid } from "../jid/jid";
import { DELEGATION_NS, advertisement, namespaceOf, parseCopy } from "./rules";

export const CONFIGURE_NODE = `${DELEGATION_NS}#configure`;

/** §Security 2: namespaces the server itself must keep; never delegated in client mode. */
export const CLIENT_MODE_FILTERED: readonly string[] = CLIENT_MODE_KEPT;

/** Whether `host` lets its users delegate `ns` in client mode (hosts.H.client_delegation). */
export function clientModeAllows(host: HostConfig, ns: string): boolean {
  return host.clientDelegation.includes(ns) && !CLIENT_MODE_FILTERED.includes(ns);
}

/** A pending request is forgotten this long after it was made (checked lazily, on use). */
export const REQUEST_TTL_MS = 24 * 60 * 60 * 1000;
/** Pending (manager, namespace) requests kept per user; a request that would exceed it is dropped. */
export const MAX_PENDING_REQUESTS = 20;

const HUMAN_NAMES: Record<string, string> = {
  "http://jabber.org/protocol/pubsub": "Publish-Subscribe / personal events (PEP)",
  "http://jabber.org/protocol/pubsub#owner": "Publish-Subscribe node management",
  "urn:xmpp:mam:2": "Message archive (MAM)",
  "http://jabber.org/protocol/disco#info": "Service discovery information",
  "http://jabber.org/protocol/disco#items": "Service discovery items",
  "jabber:iq:private": "Private XML storage",
  "vcard-temp": "vCard",
};

export function humanName(ns: string): string {
  return HUMAN_NAMES[ns] ?? ns;
}

export const WARNING =
  "A third party asks to handle these parts of your account for you. It would see and answer " +
  "every request on them, including your own. Only accept if you trust it completely.";

// ---- storage (in the user's AccountObject) ----------------------------------------------

export interface Grant {
  manager: string;
  namespace: string;
}
export interface PendingAsk extends Grant {
  challenge: string;
}

export class ClientGrantStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly now: () => number = Date.now,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS dlg_client_grant (manager TEXT NOT NULL, namespace TEXT NOT NULL, PRIMARY KEY (manager, namespace))");
    // The first version kept requests without an expiry, in dlg_client_request.
    sql.exec("DROP TABLE IF EXISTS dlg_client_request");
    sql.exec("CREATE TABLE IF NOT EXISTS dlg_client_ask (challenge TEXT NOT NULL, manager TEXT NOT NULL, namespace TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (manager, namespace))");
  }

  /** Lazy expiry: every read of the requests first forgets those past their time. */
  private expire(): void {
    this.sql.exec("DELETE FROM dlg_client_ask WHERE expires <= ?", this.now());
  }

  grants(): Grant[] {
    return this.sql.exec<{ manager: string; namespace: string }>("SELECT manager, namespace FROM dlg_client_grant ORDER BY manager, namespace").toArray();
  }

  requests(): PendingAsk[] {
    this.expire();
    return this.sql.exec<{ challenge: string; manager: string; namespace: string }>("SELECT challenge, manager, namespace FROM dlg_client_ask ORDER BY manager, namespace").toArray();
  }

  managerFor(namespace: string): string | null {
    const rows = this.sql.exec<{ manager: string }>("SELECT manager FROM dlg_client_grant WHERE namespace = ? ORDER BY manager LIMIT 1", namespace).toArray();
    return rows.length ? rows[0]!.manager : null;
  }

  /**
   * Stores a request (a repeated (manager, namespace) gets the new challenge and a new
   * expiry). False, and nothing stored, when the user would have more than
   * MAX_PENDING_REQUESTS pending.
   */
  ask(challenge: string, manager: string, namespaces: string[]): boolean {
    this.expire();
    const pending = this.sql.exec<{ manager: string; namespace: string }>("SELECT manager, namespace FROM dlg_client_ask").toArray();
    const added = namespaces.filter((ns) => !pending.some((p) => p.manager === manager && p.namespace === ns));
    if (pending.length + added.length > MAX_PENDING_REQUESTS) return false;
    const expires = this.now() + REQUEST_TTL_MS;
    for (const ns of namespaces) {
      this.sql.exec("INSERT OR REPLACE INTO dlg_client_ask (challenge, manager, namespace, expires) VALUES (?, ?, ?, ?)", challenge, manager, ns, expires);
    }
    return true;
  }

  /**
   * Applies the user's answers: `yes` grants (only what was requested or already granted),
   * anything else revokes / refuses. Returns the managers whose grants changed.
   */
  apply(answers: { manager: string; namespace: string; yes: boolean }[]): string[] {
    const changed = new Set<string>();
    this.expire();
    for (const a of answers) {
      const requested = this.sql.exec("SELECT 1 FROM dlg_client_ask WHERE manager = ? AND namespace = ?", a.manager, a.namespace).toArray().length > 0;
      const granted = this.sql.exec("SELECT 1 FROM dlg_client_grant WHERE manager = ? AND namespace = ?", a.manager, a.namespace).toArray().length > 0;
      this.sql.exec("DELETE FROM dlg_client_ask WHERE manager = ? AND namespace = ?", a.manager, a.namespace);
      if (a.yes && requested && !granted) {
        this.sql.exec("INSERT INTO dlg_client_grant (manager, namespace) VALUES (?, ?)", a.manager, a.namespace);
        changed.add(a.manager);
      } else if (!a.yes && granted) {
        this.sql.exec("DELETE FROM dlg_client_grant WHERE manager = ? AND namespace = ?", a.manager, a.namespace);
        changed.add(a.manager);
      }
    }
    return [...changed];
  }
}

const stores = new WeakMap<SqlStorage, ClientGrantStore>();
export function grantStore(sql: SqlStorage): ClientGrantStore {
  let s = stores.get(sql);
  if (!s) {
    s = new ClientGrantStore(sql);
    stores.set(sql, s);
  }
  return s;
}

/**
 * Account deletion, before the storage is wiped: the user's grants, for
 * withdrawClientGrants. The cached store is dropped, since its tables go with the storage.
 */
export function takeClientGrants(sql: SqlStorage): Grant[] {
  const grants = grantStore(sql).grants();
  stores.delete(sql);
  return grants;
}

/** The RPC surface of the account for client mode (AccountObject.clientDelegation). */
export type ClientCommand =
  | { op: "ask"; challenge: string; manager: string; namespaces: string[] }
  | { op: "list" }
  | { op: "answer-challenge"; challenge: string; yes: string[]; no: string[] }
  | { op: "apply"; answers: { manager: string; namespace: string; yes: boolean }[] }
  | { op: "lookup"; namespace: string };

export interface ClientAnswer {
  grants: Grant[];
  requests: PendingAsk[];
  /** Managers whose grants changed, each with its namespaces now granted. */
  changed: { manager: string; namespaces: string[] }[];
  manager: string | null;
  /** For "ask": false when the request was dropped (too many pending). */
  accepted: boolean;
}

export function runClientCommand(store: ClientGrantStore, cmd: ClientCommand): ClientAnswer {
  const out: ClientAnswer = { grants: [], requests: [], changed: [], manager: null, accepted: true };
  let changed: string[] = [];
  switch (cmd.op) {
    case "ask":
      out.accepted = store.ask(cmd.challenge, cmd.manager, cmd.namespaces);
      break;
    case "lookup":
      out.manager = store.managerFor(cmd.namespace);
      return out;
    case "answer-challenge": {
      const asked = store.requests().filter((r) => r.challenge === cmd.challenge);
      changed = store.apply(asked.map((r) => ({ manager: r.manager, namespace: r.namespace, yes: cmd.yes.includes(r.namespace) && !cmd.no.includes(r.namespace) })));
      break;
    }
    case "apply":
      changed = store.apply(cmd.answers);
      break;
    case "list":
      break;
  }
  out.grants = store.grants();
  out.requests = store.requests();
  out.changed = changed.map((m) => ({ manager: m, namespaces: out.grants.filter((g) => g.manager === m).map((g) => g.namespace) }));
  return out;
}

// ---- forms --------------------------------------------------------------------------

function field(form: Element, attrs: Record<string, string>, value?: string, label?: string): void {
  const f = form.c("field", label ? { ...attrs, label } : attrs);
  if (value !== undefined) f.c("value").t(value);
}

/** §Client delegation: the question to the user, a message from the host with a XEP-0004 form. */
export function requestMessage(hostDomain: string, user: string, manager: string, challenge: string, namespaces: string[]): Element {
  const form = xml("x", { xmlns: NS.dataForms, type: "form" });
  form.c("title").t("Namespace delegation request");
  form.c("instructions").t(`${manager} asks to handle the following for your account. ${WARNING}`);
  field(form, { var: "FORM_TYPE", type: "hidden" }, DELEGATION_NS);
  field(form, { var: "challenge", type: "hidden" }, challenge);
  field(form, { var: "managing-entity", type: "jid-single" }, manager, "Managing entity");
  for (const ns of namespaces) field(form, { var: ns, type: "boolean" }, "0", `${humanName(ns)} (${ns})`);
  const body = `${manager} asks to handle ${namespaces.map(humanName).join(", ")} for your account. ${WARNING}`;
  return xml("message", { xmlns: NS.client, from: hostDomain, to: user, id: challenge }, xml("body", {}, body), form);
}

/** The fields of a submitted form: var → values. */
export function formValues(form: Element): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of form.getChildren("field")) {
    if (!f.attrs.var) continue;
    out.set(f.attrs.var, f.getChildren("value").map((v) => v.getText()));
  }
  return out;
}

/** XEP-0004 §3.3 boolean: "1" or "true" is yes, anything else no. */
export function isYes(values: string[] | undefined): boolean {
  return !!values && values.length === 1 && (values[0] === "1" || values[0] === "true");
}

/** A submitted delegation form (FORM_TYPE urn:xmpp:delegation:2), or null. */
export function submittedForm(parent: Element): Element | null {
  for (const x of parent.getChildren("x", NS.dataForms)) {
    if (x.attrs.type !== "submit") continue;
    if (formValues(x).get("FORM_TYPE")?.[0] === DELEGATION_NS) return x;
  }
  return null;
}

const GRANT_SEP = " ";
export function grantVar(g: Grant): string {
  return `${g.manager}${GRANT_SEP}${g.namespace}`;
}
function parseGrantVar(v: string): Grant | null {
  const i = v.indexOf(GRANT_SEP);
  if (i <= 0) return null;
  return { manager: v.slice(0, i), namespace: v.slice(i + 1) };
}

/** §Configuration: the form of the configure command, every grant (1) and pending request (0). */
export function configureForm(a: ClientAnswer): Element {
  const form = xml("x", { xmlns: NS.dataForms, type: "form" });
  form.c("title").t("Namespace delegations");
  form.c("instructions").t(`Untick to revoke, tick to accept a pending request. ${WARNING}`);
  field(form, { var: "FORM_TYPE", type: "hidden" }, DELEGATION_NS);
  for (const g of a.grants) field(form, { var: grantVar(g), type: "boolean" }, "1", `${humanName(g.namespace)} (${g.namespace}) by ${g.manager}`);
  for (const r of a.requests) field(form, { var: grantVar(r), type: "boolean" }, "0", `${humanName(r.namespace)} (${r.namespace}) requested by ${r.manager}`);
  return form;
}

// ---- the handlers ---------------------------------------------------------------------

function localUser(host: HostConfig, jid: string | undefined): string | null {
  if (!jid) return null;
  const j = parseJid(jid);
  return j && j.local && j.domain === host.domain ? j.bare : null;
}

/** Tells the manager (and its router, for re-advertising on reconnect) what `user` grants it now. */
async function notifyManager(env: Env, config: GatewayConfig, host: HostConfig, user: string, manager: string, namespaces: string[]): Promise<void> {
  const adv = advertisement(host.domain, manager, newId("dlg-cadv"), namespaces.map((namespace) => ({ namespace, jid: manager, filtering: [] })), user);
  if (config.components[manager]) await componentStub(env, manager).setClientGrants(user, host.domain, namespaces);
  await routeStanza(env, config, adv);
}

/**
 * Account deletion (after the storage is wiped): each manager the user granted something
 * is told it now manages nothing for them (an empty <delegation to='user'/>) and its
 * router forgets the grants, so they are not re-advertised on reconnection.
 */
export async function withdrawClientGrants(env: Env, user: string, grants: Grant[]): Promise<void> {
  if (!grants.length) return;
  const loaded = loadConfig(env);
  const host = loaded.ok ? hostOf(loaded.config, domainOf(user)) : undefined;
  if (!loaded.ok || !host) return;
  for (const manager of new Set(grants.map((g) => g.manager))) {
    try {
      await notifyManager(env, loaded.config, host, user, manager, []);
    } catch (e) {
      console.log(JSON.stringify({ event: "delegation-client-withdraw-failed", user, manager, error: String(e) }));
    }
  }
}

async function applyAndNotify(env: Env, config: GatewayConfig, host: HostConfig, user: string, cmd: ClientCommand): Promise<ClientAnswer> {
  const answer = await accountStub(env, user).clientDelegation(cmd);
  for (const c of answer.changed) await notifyManager(env, config, host, user, c.manager, c.namespaces);
  return answer;
}

/** Step 1: the managing entity's request (an IQ to the host). */
export async function handleClientModeRequest(env: Env, config: GatewayConfig, host: HostConfig, iq: Element): Promise<string[]> {
  const query = iqPayload(iq)!;
  const manager = bareOf(iq.attrs.from ?? "");
  const refuse = (condition: "not-allowed" | "item-not-found" | "bad-request" | "forbidden", text: string) =>
    [errorReply(iq, condition, text, host.domain).toString()];
  if (!host.clientDelegation.length) return refuse("not-allowed", `client-mode delegation is not enabled on ${host.domain}`);
  if (!config.components[manager]) return refuse("not-allowed", "only components of this server can be managing entities");
  const user = localUser(host, query.attrs.to);
  if (!user) return refuse("item-not-found", "'to' must be a user of this host");
  const namespaces = [...new Set(query.getChildren("delegate").map((d) => d.attrs.namespace ?? ""))];
  if (!namespaces.length || namespaces.includes("")) return refuse("bad-request", "every <delegate/> needs a namespace");
  for (const ns of namespaces) {
    const problem = clientNamespaceProblem(ns);
    if (problem?.kind === "syntax") return refuse("bad-request", `a delegated namespace ${problem.reason}`);
    if (problem) return refuse("forbidden", "this namespace cannot be delegated");
    if (!clientModeAllows(host, ns)) return refuse("not-allowed", `${ns} cannot be delegated on ${host.domain}`);
  }
  // §Security 4: the same answer whether or not the account exists (and whether or not the
  // request was dropped because the user has too many pending).
  if (await accountStub(env, user).exists()) {
    const challenge = newId("dlg-ask");
    const asked = await accountStub(env, user).clientDelegation({ op: "ask", challenge, manager, namespaces });
    if (asked.accepted) await routeStanza(env, config, requestMessage(host.domain, user, manager, challenge, namespaces));
    else console.log(JSON.stringify({ event: "delegation-client-request-dropped", user, manager, reason: "too many pending requests" }));
  }
  return [iqResult(iq, undefined, host.domain).toString()];
}

/** Step 3 by message: the user's submitted form, sent to the host. Returns replies for the user. */
export async function handleHostMessage(env: Env, config: GatewayConfig, host: HostConfig, msg: Element): Promise<string[]> {
  const form = submittedForm(msg);
  const user = localUser(host, msg.attrs.from);
  if (!form || !user) return [];
  const values = formValues(form);
  const challenge = values.get("challenge")?.[0];
  if (!challenge) return [];
  const yes: string[] = [];
  const no: string[] = [];
  for (const [v, vals] of values) {
    if (v === "FORM_TYPE" || v === "challenge" || v === "managing-entity") continue;
    (isYes(vals) ? yes : no).push(v);
  }
  await applyAndNotify(env, config, host, user, { op: "answer-challenge", challenge, yes, no });
  return [];
}

/** Step 3 / §Configuration by ad-hoc command (XEP-0050), executed by a user of the host. */
export async function handleConfigureCommand(env: Env, config: GatewayConfig, host: HostConfig, iq: Element): Promise<string[]> {
  const cmd = iqPayload(iq)!;
  const user = localUser(host, iq.attrs.from);
  if (!user) return [errorReply(iq, "forbidden", "only users of this host can configure their delegations", host.domain).toString()];
  if (iq.attrs.type !== "set") return [errorReply(iq, "bad-request", "commands are executed with type='set'", host.domain).toString()];
  const action = cmd.attrs.action ?? "execute";
  const sessionid = cmd.attrs.sessionid ?? newId("dlg-cmd");
  const command = (status: string, ...children: Element[]) =>
    [iqResult(iq, xml("command", { xmlns: NS.commands, node: CONFIGURE_NODE, sessionid, status }, ...children), host.domain).toString()];
  if (action === "cancel") return command("canceled");
  const form = submittedForm(cmd);
  if (!form) {
    const current = await accountStub(env, user).clientDelegation({ op: "list" });
    return command("executing", xml("actions", { execute: "complete" }, xml("complete")), configureForm(current));
  }
  const answers: { manager: string; namespace: string; yes: boolean }[] = [];
  for (const [v, vals] of formValues(form)) {
    const g = parseGrantVar(v);
    if (g) answers.push({ ...g, yes: isYes(vals) });
  }
  const after = await applyAndNotify(env, config, host, user, { op: "apply", answers });
  const note = xml("note", { type: "info" }, `${after.grants.length} delegation(s) granted, ${after.requests.length} request(s) pending.`);
  return command("completed", note);
}

/** disco#items on the host's commands node (XEP-0050 §2.2). */
export function commandItems(iq: Element, host: HostConfig): string[] {
  const query = xml("query", { xmlns: NS.discoItems, node: NS.commands }, xml("item", { jid: host.domain, node: CONFIGURE_NODE, name: "Namespace delegations" }));
  return [iqResult(iq, query, host.domain).toString()];
}

/**
 * §Client mode forwarding (a): an IQ to the host, from a user of it, on a namespace that
 * user delegated. Returns the manager's JID, or null.
 */
export async function clientManagerForHostIq(env: Env, host: HostConfig, iq: Element): Promise<string | null> {
  const user = localUser(host, iq.attrs.from);
  const payload = iqPayload(iq);
  if (!user || !payload) return null;
  const ns = namespaceOf(payload);
  if (!clientModeAllows(host, ns)) return null;
  return (await accountStub(env, user).clientDelegation({ op: "lookup", namespace: ns })).manager;
}

/**
 * §Client mode forwarding (b), run by the account itself: an IQ request to its bare JID
 * (or without `to`) on a namespace it delegated, from anyone but the manager. Returns the
 * answer for the sender, or null when not delegated.
 */
export async function clientModeForward(env: Env, host: HostConfig, bare: string, store: ClientGrantStore, iq: Element): Promise<string[] | null> {
  if (iq.attrs.type !== "get" && iq.attrs.type !== "set") return null;
  const payload = iqPayload(iq);
  if (!payload) return null;
  const ns = namespaceOf(payload);
  if (!clientModeAllows(host, ns)) return null;
  const manager = store.managerFor(ns);
  if (!manager) return null;
  const from = iq.attrs.from ?? "";
  if (bareOf(from) === manager || domainOf(from) === manager) return null;
  const copy = parseCopy(iq);
  copy.attrs.to = bare;
  try {
    return await componentStub(env, manager).delegate(copy.toString(), host.domain);
  } catch {
    return [errorReply(copy, "service-unavailable", undefined, bare).toString()];
  }
}
