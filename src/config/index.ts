// The gateway configuration: see ./types for the shapes and ./parse for the rules.
export * from "./types";
export { CLIENT_MODE_KEPT, MAX_CLIENT_NAMESPACE_LENGTH, clientNamespaceProblem, type NamespaceProblem } from "./client-delegation";
export {
  DEFAULT_DELEGATION_TIMEOUT_MS,
  DEFAULT_LIMITS,
  componentFor,
  componentSecret,
  hostOf,
  isComponent,
  loadConfig,
  parseConfig,
  redactConfig,
  type LoadResult,
} from "./parse";
