// What happens to stanzas between a user and a JID they blocked (XEP-0191 §3.3, §3.4).
import { type Element, errorElement, errorReply, isResponse, xml } from "../xml/stanza";
import { deepCopy } from "../xml/forwarded";
import { NS } from "../xml/namespaces";

export type BlockedAction = { action: "drop" } | { action: "reply"; stanza: Element };

/**
 * A stanza the user sends to a blocked JID is not routed. Requests and messages are
 * answered with <not-acceptable/> and <blocked xmlns='urn:xmpp:blocking:errors'/>
 * (§3.3); responses (errors, IQ results) are dropped, never answered.
 */
export function outboundToBlocked(stanza: Element): BlockedAction {
  if (isResponse(stanza)) return { action: "drop" };
  // The reply carries the original payload (as the XEP's example does) and the error
  // of type cancel shown there, with the application condition after the defined one.
  const reply = errorReply(stanza, "not-acceptable");
  reply.children = [];
  for (const child of stanza.getChildElements()) if (child.getName() !== "error") reply.cnode(deepCopy(child));
  const error = errorElement("not-acceptable", undefined, "cancel");
  error.cnode(xml("blocked", { xmlns: NS.blockingErrors }));
  reply.cnode(error);
  return { action: "reply", stanza: reply };
}

/**
 * A stanza from a blocked JID is not delivered (§3.3): presence is dropped silently,
 * messages and IQ requests are answered with <service-unavailable/>, as if the user did
 * not exist; errors and IQ results are dropped.
 */
export function inboundFromBlocked(stanza: Element): BlockedAction {
  if (stanza.name === "presence" || isResponse(stanza)) return { action: "drop" };
  return { action: "reply", stanza: errorReply(stanza, "service-unavailable") };
}
