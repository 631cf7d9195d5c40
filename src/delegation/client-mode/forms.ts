// XEP-0355 client mode: the XEP-0004 forms of the request to the user and of the
// XEP-0050 configure command, and reading the user's answers.
// References: XEP-0355 v0.5 §Client delegation, §Configuration; XEP-0004 §3.3.
import { NS } from "../../xml/namespaces";
import { type Element, xml } from "../../xml/stanza";
import { DELEGATION_NS } from "../rules";
import type { Grant } from "./store";
import type { ClientAnswer } from "./commands";

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
export function parseGrantVar(v: string): Grant | null {
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

