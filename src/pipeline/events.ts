// Event names, Prosody style. A stanza fires, most specific first:
//   iq:        iq-TYPE/DEST/{NS}NAME, iq-TYPE/DEST/{NS}*, iq-TYPE/DEST, iq/DEST
//   message:   message/DEST
//   presence:  presence/DEST
// and then `*` (every stanza of the stage). DEST is host, self, bare, full, component
// or remote; {NS}NAME is the IQ payload in Clark notation (namespace resolved), so
// `iq-set/self/{jabber:iq:roster}query` is a user's roster set. The origin stage
// prefixes every name with `pre-`. Handlers of all the keys run in one priority order.
import type { Element } from "../xml/stanza";
import { namespaceOf } from "../xml/namespace-of";
import type { DestinationKind } from "./classify";

export type Stage = "pre-" | "";

/** The payload's resolved namespace (declared on it, else inherited). */
export function payloadNamespace(el: Element): string {
  return namespaceOf(el) ?? "";
}

export function payloadKey(el: Element): string {
  return `{${payloadNamespace(el)}}${el.name}`;
}

export function eventKeys(stage: Stage, name: string, type: string | undefined, kind: DestinationKind, payload: Element | null): string[] {
  if (name !== "iq") return [`${stage}${name}/${kind}`, `${stage}*`];
  const base = `${stage}iq-${type}/${kind}`;
  if (!payload) return [base, `${stage}iq/${kind}`, `${stage}*`];
  return [`${base}/${payloadKey(payload)}`, `${base}/{${payloadNamespace(payload)}}*`, base, `${stage}iq/${kind}`, `${stage}*`];
}

/** The event for an IQ payload, for registrations: `iqEvent("pre-", "get", "host", NS.ping, "ping")`. */
export function iqEvent<S extends Stage>(stage: S, type: string, kind: DestinationKind, ns: string, name = "*"): `${S}iq-${string}` {
  return `${stage}iq-${type}/${kind}/{${ns}}${name}`;
}

/** The single payload of an IQ request, or null (none, several, or not a request). */
export function requestPayload(iq: Element): Element | null {
  const t = iq.attrs.type;
  if (iq.name !== "iq" || (t !== "get" && t !== "set")) return null;
  const children = iq.getChildElements();
  return children.length === 1 ? children[0]! : null;
}
