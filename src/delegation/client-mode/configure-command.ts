// XEP-0355 §Configuration through the XEP-0050 ad-hoc command
// urn:xmpp:delegation:2#configure, executed at the host by one of its users: lists every
// grant (ticked) and pending request (unticked); the submitted form applies the changes.
// References: XEP-0355 v0.5 §Configuration; XEP-0050 §2.2 (command list), §3.
import type { HostConfig } from "../../config";
import type { Services } from "../../pipeline/context";
import { NS } from "../../xml/namespaces";
import { type Element, errorReply, iqPayload, iqResult, newId, xml } from "../../xml/stanza";
import { configureForm, formValues, isYes, parseGrantVar, submittedForm } from "./forms";
import { CONFIGURE_NODE } from "./policy";
import { applyAndNotify, localUser } from "./requests";

export async function handleConfigureCommand(services: Services, host: HostConfig, iq: Element): Promise<Element> {
  const cmd = iqPayload(iq)!;
  const user = localUser(host, iq.attrs.from);
  if (!user) return errorReply(iq, "forbidden", "only users of this host can configure their delegations", host.domain);
  if (iq.attrs.type !== "set") return errorReply(iq, "bad-request", "commands are executed with type='set'", host.domain);
  const action = cmd.attrs.action ?? "execute";
  const sessionid = cmd.attrs.sessionid ?? newId("dlg-cmd");
  const command = (status: string, ...children: Element[]) =>
    iqResult(iq, xml("command", { xmlns: NS.commands, node: CONFIGURE_NODE, sessionid, status }, ...children), host.domain);
  if (action === "cancel") return command("canceled");
  const form = submittedForm(cmd);
  if (!form) {
    const current = await services.ports.account(user).clientDelegation({ op: "list" });
    return command("executing", xml("actions", { execute: "complete" }, xml("complete")), configureForm(current));
  }
  const answers: { manager: string; namespace: string; yes: boolean }[] = [];
  for (const [v, vals] of formValues(form)) {
    const g = parseGrantVar(v);
    if (g) answers.push({ ...g, yes: isYes(vals) });
  }
  const after = await applyAndNotify(services, host, user, { op: "apply", answers });
  const note = xml("note", { type: "info" }, `${after.grants.length} delegation(s) granted, ${after.requests.length} request(s) pending.`);
  return command("completed", note);
}

/** disco#items on the host's commands node (XEP-0050 §2.2). */
export function commandItems(iq: Element, host: HostConfig): Element {
  const query = xml("query", { xmlns: NS.discoItems, node: NS.commands }, xml("item", { jid: host.domain, node: CONFIGURE_NODE, name: "Namespace delegations" }));
  return iqResult(iq, query, host.domain);
}
