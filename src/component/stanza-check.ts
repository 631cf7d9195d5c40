// What the gateway accepts from an authenticated component, decided on one
// stanza without any I/O (CONTRACT.md "Component sockets", point 5).
//
// - Only <message/>, <presence/> and <iq/>; anything else ends the stream.
// - The stanza may be in jabber:component:accept, jabber:client or carry no
//   namespace; inside the gateway it continues in jabber:client.
// - Its `from` must be the component's domain or a JID at it (XEP-0114 §3:
//   the component is trusted for its own domain only). A missing `from` means
//   the component itself, as Prosody and ejabberd assume. A forged `from` is
//   answered with <forbidden/>, a malformed one with <jid-malformed/>; either
//   way the stanza is never routed. Prosody closes the stream with
//   <invalid-from/> instead; the contract asks for a stanza error, which lets a
//   component with one buggy code path keep its other sessions.
//
// References: XEP-0114 §3, RFC 6120 §8.1.2.1 (from), §8.3.3.5 (forbidden),
// §8.3.3.8 (jid-malformed), §4.9.3.10 (invalid-namespace), §4.9.3.24 (unsupported-stanza-type).
import { NS } from "../xml/namespaces";
import { type Element, type StreamErrorCondition, errorReply, isResponse, withNamespace } from "../xml/stanza";
import { domainOf, parseJid } from "../jid/jid";

export type ComponentStanzaCheck =
  | { ok: true; stanza: Element }
  | { ok: false; stream: StreamErrorCondition; text: string }
  | { ok: false; stream?: undefined; reply: Element | null };

const STANZAS = new Set(["message", "presence", "iq"]);

/** XEP-0114 §3 / CONTRACT.md: a component's `from` must be its domain or a JID at it. */
export function fromAllowed(component: string, from: string): boolean {
  return domainOf(from) === component;
}

/**
 * Checks one stanza from the component `component` (already lower-case).
 * On success the element is modified in place: namespace jabber:client, `from`
 * and `to` normalised. A `reply` goes back down the component's socket.
 */
export function checkComponentStanza(component: string, el: Element): ComponentStanzaCheck {
  if (!STANZAS.has(el.name)) return { ok: false, stream: "unsupported-stanza-type", text: `<${el.name}/> is not a stanza` };
  const ns = el.attrs.xmlns ?? NS.component;
  if (ns !== NS.component && ns !== NS.client) return { ok: false, stream: "invalid-namespace", text: `stanzas are in ${NS.component}` };

  const refuse = (condition: "forbidden" | "jid-malformed", text: string): ComponentStanzaCheck => {
    if (isResponse(el)) return { ok: false, reply: null }; // never answer an error or a result
    return { ok: false, reply: withNamespace(errorReply(el, condition, text, component), NS.component) };
  };

  const rawFrom = el.attrs.from;
  const from = rawFrom === undefined ? parseJid(component) : parseJid(rawFrom);
  if (!from) return refuse("jid-malformed", "invalid 'from' address");
  if (!fromAllowed(component, from.full)) return refuse("forbidden", `'from' must be ${component} or a JID at it`);
  let to: string | undefined;
  if (el.attrs.to !== undefined) {
    const parsed = parseJid(el.attrs.to);
    if (!parsed) return refuse("jid-malformed", "invalid 'to' address");
    to = parsed.full;
  }
  withNamespace(el, NS.client); // inside the gateway every stanza is in jabber:client
  el.attrs.from = from.full;
  if (to !== undefined) el.attrs.to = to;
  return { ok: true, stanza: el };
}
