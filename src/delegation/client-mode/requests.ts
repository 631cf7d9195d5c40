// XEP-0355 client mode: a managing entity asks to handle namespaces for one user; the
// user says yes or no through a XEP-0004 form (in a message to the host, or through
// the configure command, ./configure-command.ts); the manager is told what it may do.
//
// Flow (docs/xep0355.md, "Client mode"):
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
//
// References: XEP-0355 v0.5 §Client delegation, §Configuration, §Business rules 1-4,
// §Security 2 and 4; XEP-0004.
import { clientNamespaceProblem, type HostConfig } from "../../config";
import type { Services } from "../../pipeline/context";
import { route } from "../../pipeline/route";
import { type Element, errorReply, iqPayload, iqResult, newId } from "../../xml/stanza";
import { bareOf, parseJid } from "../../jid/jid";
import { advertisement } from "../rules";
import type { ClientAnswer, ClientCommand } from "./commands";
import { formValues, isYes, requestMessage, submittedForm } from "./forms";
import { clientModeAllows } from "./policy";
import type { Grant } from "./store";

/** The bare JID of a user of `host`, or null. */
export function localUser(host: HostConfig, jid: string | undefined): string | null {
  if (!jid) return null;
  const j = parseJid(jid);
  return j && j.local && j.domain === host.domain ? j.bare : null;
}

/** Tells the manager (and its mailbox, for re-advertising on reconnect) what `user` grants it now. */
async function notifyManager(services: Services, host: HostConfig, user: string, manager: string, namespaces: string[]): Promise<void> {
  const adv = advertisement(host.domain, manager, newId("dlg-cadv"), namespaces.map((namespace) => ({ namespace, jid: manager, filtering: [] })), user);
  if (services.config.components[manager]) await services.ports.component(manager).setClientGrants(user, host.domain, namespaces);
  await route(services, { kind: "server" }, adv);
}

/**
 * Account deletion: each manager the user granted something is told it now manages
 * nothing for them (an empty <delegation to='user'/>) and its mailbox forgets the
 * grants, so they are not re-advertised on reconnection.
 */
export async function withdrawClientGrants(services: Services, host: HostConfig, user: string, grants: Grant[]): Promise<void> {
  for (const manager of new Set(grants.map((g) => g.manager))) {
    try {
      await notifyManager(services, host, user, manager, []);
    } catch (e) {
      console.log(JSON.stringify({ event: "delegation-client-withdraw-failed", user, manager, error: String(e) }));
    }
  }
}

/** Runs a command on the user's grants and tells every manager whose grants changed. */
export async function applyAndNotify(services: Services, host: HostConfig, user: string, cmd: ClientCommand): Promise<ClientAnswer> {
  const answer = await services.ports.account(user).clientDelegation(cmd);
  for (const c of answer.changed) await notifyManager(services, host, user, c.manager, c.namespaces);
  return answer;
}

/** Step 1: the managing entity's request (an IQ to the host). */
export async function handleClientModeRequest(services: Services, host: HostConfig, iq: Element): Promise<Element> {
  const query = iqPayload(iq)!;
  const manager = bareOf(iq.attrs.from ?? "");
  const refuse = (condition: "not-allowed" | "item-not-found" | "bad-request" | "forbidden", text: string) => errorReply(iq, condition, text, host.domain);
  if (!host.clientDelegation.length) return refuse("not-allowed", `client-mode delegation is not enabled on ${host.domain}`);
  if (!services.config.components[manager]) return refuse("not-allowed", "only components of this server can be managing entities");
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
  const account = services.ports.account(user);
  if (await account.exists()) {
    const challenge = newId("dlg-ask");
    const asked = await account.clientDelegation({ op: "ask", challenge, manager, namespaces });
    if (asked.accepted) await route(services, { kind: "server" }, requestMessage(host.domain, user, manager, challenge, namespaces));
    else console.log(JSON.stringify({ event: "delegation-client-request-dropped", user, manager, reason: "too many pending requests" }));
  }
  return iqResult(iq, undefined, host.domain);
}

/** Step 3 by message: the user's submitted form, sent to the host. False when it is not one. */
export async function handleAnswerMessage(services: Services, host: HostConfig, msg: Element): Promise<boolean> {
  const form = submittedForm(msg);
  const user = localUser(host, msg.attrs.from);
  if (!form || !user) return false;
  const values = formValues(form);
  const challenge = values.get("challenge")?.[0];
  if (!challenge) return false;
  const yes: string[] = [];
  const no: string[] = [];
  for (const [v, vals] of values) {
    if (v === "FORM_TYPE" || v === "challenge" || v === "managing-entity") continue;
    (isYes(vals) ? yes : no).push(v);
  }
  await applyAndNotify(services, host, user, { op: "answer-challenge", challenge, yes, no });
  return true;
}
