// XEP-0054 vcard-temp: a user gets and sets their own vCard (IQ with no 'to', or to
// their bare JID) and gets anyone's (IQ to that user's bare JID).
//
// Over the size bound the set is refused with <policy-violation/>: the request is
// well-formed and understood, it breaks a local limit of the service (RFC 6120
// §8.3.3.12); <not-acceptable/> is left for XEP-0049's reserved namespaces so that the
// two refusals stay distinguishable.
import { type Element, errorReply, iqPayload, iqResult, xml } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { clientCopy } from "../xml/forwarded";
import { NS } from "../xml/namespaces";
import { MAX_VCARD_BYTES, type VcardStore } from "./vcard-store";

/**
 * Answers a vcard-temp IQ addressed to the account `accountBare`, whose store is
 * `store`. The requester is the IQ's (trusted) 'from'.
 */
export function handleVcardIq(iq: Element, accountBare: string, store: VcardStore): Element {
  const payload = iqPayload(iq);
  if (!payload || payload.getName() !== "vCard" || payload.getNS() !== NS.vcard) return errorReply(iq, "bad-request");
  const own = (iq.attrs.from ?? "").split("/")[0] === accountBare;
  if (iq.attrs.type === "get") {
    const stored = store.get();
    // §3.1: no vCard yet is an empty <vCard/>, not an error.
    return iqResult(iq, stored === null ? xml("vCard", { xmlns: NS.vcard }) : parseTrusted(stored));
  }
  if (iq.attrs.type !== "set") return errorReply(iq, "bad-request");
  // §3.2: only the owner may publish their vCard.
  if (!own) return errorReply(iq, "forbidden");
  const vcard = clientCopy(payload);
  vcard.attrs.xmlns = NS.vcard;
  if (!store.set(vcard.toString())) return errorReply(iq, "policy-violation", `a vCard is limited to ${MAX_VCARD_BYTES} bytes`);
  return iqResult(iq);
}
