// XEP-0049 private XML storage.
export { MAX_PRIVATE_BYTES, PrivateStore } from "./private-store";
export { handlePrivateIq } from "./private-iq";
export const PRIVATE_STORAGE_FEATURES = ["jabber:iq:private"] as const;
