// SASL PLAIN (message = [authzid] NUL authcid NUL passwd), parsed only: the
// password is checked by verifyPassword against the stored SCRAM keys.
//
// References:
// - RFC 4616 §2 (https://www.rfc-editor.org/rfc/rfc4616#section-2): the
//   message syntax; authcid and passwd are non-empty.
// - RFC 6120 §6.5.8 (https://www.rfc-editor.org/rfc/rfc6120#section-6.5.8):
//   malformed-request for data that violates the mechanism's syntax.

import type { SaslFailureCondition } from "./scram";

export interface PlainCredentials {
  /** NFC-normalised; absent when the client sent an empty authzid. */
  authzid?: string;
  /** NFC-normalised, like a SCRAM username. */
  authcid: string;
  /** As sent; verifyPassword prepares it the same way SCRAM does. */
  password: string;
}

// ASCII and Latin-1 controls are refused in identities, as in SCRAM usernames.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/** Parses the decoded text of a PLAIN initial response. */
export function parsePlain(message: string): PlainCredentials | { error: SaslFailureCondition } {
  const parts = message.split("\u0000");
  if (parts.length !== 3) return { error: "malformed-request" };
  const [authzid, authcid, password] = parts as [string, string, string];
  if (authcid === "" || password === "") return { error: "malformed-request" };
  if (CONTROL.test(authcid) || CONTROL.test(authzid)) return { error: "malformed-request" };
  const result: PlainCredentials = { authcid: authcid.normalize("NFC"), password };
  if (authzid !== "") result.authzid = authzid.normalize("NFC");
  return result;
}
