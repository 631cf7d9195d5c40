// XEP-0280 Message Carbons: the feature's public surface.
export { handleCarbonsIq, type CarbonsIqOutcome } from "./enable-iq";
export { isCarbonEligible, type CarbonDirection, type EligibilityOptions } from "./eligibility";
export { isForwardedCopy } from "../xml/forwarded";
export {
  carbonCopies, carbonRecipients, receivedCarbon, sentCarbon, stripPrivate, type CarbonCopyRequest, type CarbonResource,
} from "./copies";
export const CARBONS_FEATURES = ["urn:xmpp:carbons:2"] as const;
