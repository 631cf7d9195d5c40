// XEP-0191 Blocking Command.
export { BlockStore, MAX_BLOCKED_JIDS } from "./block-store";
export { handleBlockingIq, type BlockingContext, type BlockingIqOutcome } from "./blocking-iq";
export { inboundFromBlocked, outboundToBlocked, type BlockedAction } from "./enforcement";
export { isBlocked, matchingItems } from "./matching";
export const BLOCKING_FEATURES = ["urn:xmpp:blocking"] as const;
