// Which namespaces a host may let its users delegate in XEP-0355 client mode
// (hosts.H.client_delegation), and the checks a namespace must pass, shared by the
// configuration parser and the request handler (src/delegation/client-mode/).
//
// References: XEP-0355 v0.5 §Security 2 (the server MAY filter the namespaces that can be
// delegated), §Business rules 5 (urn:xmpp:delegation:2 MUST NOT be delegated);
// RFC 3986 §3 (URI = scheme ":" hier-part), §3.1 (scheme syntax); Namespaces in XML §2.2
// (namespace names are URI references).
import { NS } from "../xml/namespaces";

/** The longest namespace accepted in a client-mode request or in the allowlist. */
export const MAX_CLIENT_NAMESPACE_LENGTH = 256;

/** Namespaces the server keeps for itself: never delegated in client mode (§Security 2). */
export const CLIENT_MODE_KEPT: readonly string[] = [
  NS.delegation, NS.roster, NS.register, NS.bind, NS.session, NS.privilege, NS.commands,
];

/** XEP-0054's namespace predates the URI rule; it is the one non-URI namespace accepted. */
const LEGACY_NAMESPACES: readonly string[] = ["vcard-temp"];

// An absolute URI: scheme ":" and at least one more character, printable ASCII without the
// characters RFC 3986 never allows unescaped (space, <, >, ", {, }, |, \, ^, `).
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-[\]_a-z~]+$/;

export type NamespaceProblem = { kind: "syntax" | "kept"; reason: string };

/** Why `ns` cannot be delegated in client mode, or null when it can be (if the host allows it). */
export function clientNamespaceProblem(ns: string): NamespaceProblem | null {
  if (ns.length === 0) return { kind: "syntax", reason: "must be a non-empty namespace" };
  if (ns.length > MAX_CLIENT_NAMESPACE_LENGTH) {
    return { kind: "syntax", reason: `must be at most ${MAX_CLIENT_NAMESPACE_LENGTH} characters long (got ${ns.length})` };
  }
  if (!ABSOLUTE_URI.test(ns) && !LEGACY_NAMESPACES.includes(ns)) {
    return { kind: "syntax", reason: "must be a namespace URI (scheme:rest, printable ASCII, e.g. \"urn:xmpp:mam:2\")" };
  }
  if (CLIENT_MODE_KEPT.includes(ns)) {
    return { kind: "kept", reason: `${ns} is kept by the server and cannot be delegated (XEP-0355 §Security 2, §Business rules 5)` };
  }
  return null;
}
