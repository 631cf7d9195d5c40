// The gateway configuration: ./types for the shapes, ./schema for the rules of
// XMPP_CONFIG, ./checks for the small checks it is built from, ./load for reading the
// environment (secrets included), ./lookups for finding hosts and components.
export * from "./types";
export { CLIENT_MODE_KEPT, MAX_CLIENT_NAMESPACE_LENGTH, clientNamespaceProblem, type NamespaceProblem } from "./client-delegation";
export { DEFAULT_DELEGATION_TIMEOUT_MS, DEFAULT_LIMITS } from "./schema";
export { componentSecret, loadConfig, parseConfig, redactConfig, type LoadResult } from "./load";
export { componentFor, hostOf, isComponent } from "./lookups";
