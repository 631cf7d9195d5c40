// Building carbon copies (XEP-0280 §7 received, §8 sent) and choosing who gets one.
import { type Element, xml } from "../xml/stanza";
import { forwarded } from "../xml/forwarded";
import { isCarbonEligible } from "./eligibility";
import { NS } from "../xml/namespaces";

function wrap(kind: "sent" | "received", message: Element, ownerBare: string, to: string): Element {
  const attrs: Record<string, string> = { xmlns: NS.client, from: ownerBare, to };
  // The wrapper SHOULD keep the original type (§7, §8).
  if (message.attrs.type) attrs.type = message.attrs.type;
  return xml("message", attrs, xml(kind, { xmlns: NS.carbons }, forwarded(message)));
}

/** The copy of a message the user sent, for their resource `to` (a full JID). */
export function sentCarbon(message: Element, ownerBare: string, to: string): Element {
  return wrap("sent", message, ownerBare, to);
}

/** The copy of a message the user received, for their resource `to` (a full JID). */
export function receivedCarbon(message: Element, ownerBare: string, to: string): Element {
  return wrap("received", message, ownerBare, to);
}

/**
 * The message as delivered to its recipient: the receiving server SHOULD remove
 * <private xmlns='urn:xmpp:carbons:2'/> (§9). Returns the same element, changed in place.
 */
export function stripPrivate(message: Element): Element {
  message.children = message.children.filter((c) => typeof c === "string" || !(c.getName() === "private" && c.getNS() === NS.carbons));
  return message;
}

export interface CarbonResource {
  /** Resource part of the full JID. */
  name: string;
  carbons: boolean;
  /** Sent initial presence; not needed for a copy (carbons were asked for explicitly). */
  available?: boolean;
  priority?: number;
}

/**
 * Resources that get a copy: every carbons-enabled resource except those that receive
 * the message directly (§7: "did not receive it under the RFC 6121 delivery rules") and,
 * for a sent message, the sending resource (§8). Each resource appears once.
 */
export function carbonRecipients(resources: readonly CarbonResource[], direct: readonly string[], sender?: string): string[] {
  const skip = new Set(direct);
  if (sender !== undefined) skip.add(sender);
  const out: string[] = [];
  for (const r of resources) {
    if (!r.carbons || skip.has(r.name)) continue;
    skip.add(r.name);
    out.push(r.name);
  }
  return out;
}

export interface CarbonCopyRequest {
  message: Element;
  direction: "sent" | "received";
  ownerBare: string;
  resources: readonly CarbonResource[];
  /** Resource names the message is delivered to directly. */
  direct: readonly string[];
  /** For a sent message, the sending resource's name. */
  sender?: string;
  errorAnswersEligible?: boolean;
}

/** The ready-to-send copies of one message for the owner's resources (none when ineligible). */
export function carbonCopies(req: CarbonCopyRequest): Element[] {
  if (!isCarbonEligible(req.message, req.direction, { errorAnswersEligible: req.errorAnswersEligible })) return [];
  const build = req.direction === "sent" ? sentCarbon : receivedCarbon;
  return carbonRecipients(req.resources, req.direct, req.sender).map((name) => build(req.message, req.ownerBare, `${req.ownerBare}/${name}`));
}
