// XEP-0280 §4-§5: <enable/> and <disable/> for one resource. The flag lives with the
// session (the caller keeps it); repeating a request is not an error (§9.1).
import { type Element, errorReply, iqPayload, iqResult } from "../xml/stanza";
import { NS } from "../xml/namespaces";

export interface CarbonsIqOutcome {
  reply: Element;
  /** The resource's carbons flag after the request. */
  enabled: boolean;
}

/**
 * Answers an IQ carrying <enable/> or <disable/> in urn:xmpp:carbons:2, sent by the
 * resource itself. `enabled` is the resource's current flag. The reply comes from the
 * user's bare JID (XEP-0280 Example 3), `ownerBare`.
 */
export function handleCarbonsIq(iq: Element, enabled: boolean, ownerBare: string): CarbonsIqOutcome {
  const payload = iqPayload(iq);
  const action = payload?.getNS() === NS.carbons ? payload.getName() : null;
  if (iq.attrs.type !== "set" || (action !== "enable" && action !== "disable")) {
    return { reply: errorReply(iq, "bad-request", undefined, ownerBare), enabled };
  }
  return { reply: iqResult(iq, undefined, ownerBare), enabled: action === "enable" };
}
