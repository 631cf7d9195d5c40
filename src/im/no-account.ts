// What a stanza to a local JID without an account gets (RFC 6121 §8.5.1), decided
// without touching the account object's storage: a nonexistent account must not
// grow a database just because someone wrote to it.
//
// Choices (the RFC allows either "silently ignore" or "return an error" for messages):
// - message: service-unavailable (error messages are dropped), as for an existing
//   account that refuses it; the sender learns nothing more than that.
// - presence: silently ignored.
// - IQ request: service-unavailable, byte for byte the answer a non-owner gets from an
//   existing account's bare JID (see Account.receiveIq); results and errors: dropped.
//
// References: RFC 6121 §8.5.1, RFC 6120 §8.3.1 (never answer a result or an error).
import { type Element, errorReply } from "../xml/stanza";
import {
  type Delivery, type IqDelivery, type IqType, type PresenceDelivery, type PresenceType, iqToBare, iqToFull, messageToBare, messageToFull, parseMessageType, presenceToBare, presenceToFull,
} from "../im/delivery-rules";

/** The replies for the sender of `stanza`, addressed to `resource` (or the bare JID) of a missing account. */
export function noAccountReply(stanza: Element, resource: string): string[] {
  let d: Delivery | IqDelivery | PresenceDelivery;
  if (stanza.name === "message") {
    const type = parseMessageType(stanza.attrs.type);
    d = resource ? messageToFull(type, resource, false, []) : messageToBare(type, false, []);
  } else if (stanza.name === "presence") {
    const type = (stanza.attrs.type ?? "available") as PresenceType;
    d = resource ? presenceToFull(type, resource, false, []) : presenceToBare(type, false, []);
  } else {
    const type = stanza.attrs.type as IqType;
    d = resource ? iqToFull(type, resource, false, []) : iqToBare(type, false);
  }
  return d.kind === "error" ? [errorReply(stanza, d.condition).toString()] : [];
}
