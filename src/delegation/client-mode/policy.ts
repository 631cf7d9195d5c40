// XEP-0355 client mode: which namespaces a host lets its users delegate.
// References: XEP-0355 v0.5 §Security 2 (the server MAY filter namespaces).
import { CLIENT_MODE_KEPT, type HostConfig } from "../../config";
import { DELEGATION_NS } from "../rules";

export const CONFIGURE_NODE = `${DELEGATION_NS}#configure`;

/** §Security 2: namespaces the server itself must keep; never delegated in client mode. */
export const CLIENT_MODE_FILTERED: readonly string[] = CLIENT_MODE_KEPT;

/** Whether `host` lets its users delegate `ns` in client mode (hosts.H.client_delegation). */
export function clientModeAllows(host: HostConfig, ns: string): boolean {
  return host.clientDelegation.includes(ns) && !CLIENT_MODE_FILTERED.includes(ns);
}
