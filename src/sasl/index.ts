// SASL for RFC 6120 §6: SCRAM-SHA-256, SCRAM-SHA-1 (RFC 5802, RFC 7677) and
// PLAIN (RFC 4616), as pure functions over WebCrypto.
export * from "./credentials";
export * from "./encoding";
export * from "./plain";
export * from "./scram";
