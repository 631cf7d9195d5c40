// Which messages are carbon-copied (XEP-0280 §6, with the refinements later revisions
// suggest: IM payloads without a body, MUC private messages and invitations).
//
// The rules, in order:
// - a message that is itself a carbon, or an archive result, is never copied again;
// - <private xmlns='urn:xmpp:carbons:2'/> (§7) or XEP-0334 <no-copy/> opt out;
// - type groupchat is never copied (the room replicates it);
// - something a MUC sent (it carries <x xmlns='http://jabber.org/protocol/muc#user'/>)
//   is not copied when received, except a mediated invitation; a private message the
//   user sends to an occupant's full JID is copied;
// - type chat is copied; type normal with a <body/> is copied;
// - chat states (XEP-0085), receipts (XEP-0184), markers (XEP-0333) and direct MUC
//   invitations (XEP-0249) are copied whatever the type (headline excepted);
// - type error is copied when it answers a message that was itself eligible (the caller
//   says so; the server does not track messages, so `errorAnswersEligible` defaults to true:
//   copying an error the other devices never saw the cause of is harmless).
import type { Element } from "../xml/stanza";
import { hasChild, isForwardedCopy } from "../xml/forwarded";
import { NS } from "../xml/namespaces";

export type CarbonDirection = "sent" | "received";

export interface EligibilityOptions {
  /** For type error: was the message it answers eligible? */
  errorAnswersEligible?: boolean;
}

const CHAT_STATES = ["active", "composing", "paused", "inactive", "gone"] as const;
const RECEIPTS = ["request", "received"] as const;
const MARKERS = ["markable", "received", "displayed", "acknowledged"] as const;

function messageType(message: Element): string {
  return message.attrs.type ?? "normal";
}

function hasImPayload(message: Element): boolean {
  return hasChild(message, NS.chatStates, CHAT_STATES) || hasChild(message, NS.receipts, RECEIPTS)
    || hasChild(message, NS.chatMarkers, MARKERS) || hasChild(message, NS.directInvite, ["x"]);
}

export function isCarbonEligible(message: Element, direction: CarbonDirection, opts: EligibilityOptions = {}): boolean {
  if (message.name !== "message") return false;
  if (isForwardedCopy(message)) return false;
  if (hasChild(message, NS.carbons, ["private"]) || hasChild(message, NS.hints, ["no-copy"])) return false;
  const type = messageType(message);
  if (type === "groupchat") return false;
  const mucUser = message.getChild("x", NS.mucUser);
  if (mucUser) {
    if (direction === "received") return mucUser.getChild("invite") !== undefined;
    // Sent: a private message to an occupant (full JID) is the user's own conversation.
    if (!(message.attrs.to ?? "").includes("/") && mucUser.getChild("invite") === undefined) return false;
  }
  if (type === "error") return opts.errorAnswersEligible ?? true;
  if (type === "chat") return true;
  if (type === "normal" && message.getChild("body") !== undefined) return true;
  return type !== "headline" && hasImPayload(message);
}
