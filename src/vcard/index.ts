// XEP-0054 vcard-temp.
export { MAX_VCARD_BYTES, VcardStore } from "./vcard-store";
export { handleVcardIq } from "./vcard-iq";
export const VCARD_FEATURES = ["vcard-temp"] as const;
