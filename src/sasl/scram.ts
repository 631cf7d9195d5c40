// Server side of SCRAM-SHA-1 and SCRAM-SHA-256 (without channel binding) as
// two pure steps: client-first -> server-first, client-final -> server-final.
// Everything kept between the steps is the plain JSON ScramPending, small
// enough for a WebSocket attachment across hibernation.
//
// References:
// - RFC 5802 §3 (https://www.rfc-editor.org/rfc/rfc5802#section-3): the
//   AuthMessage, ClientSignature, ClientProof and ServerSignature algebra.
// - RFC 5802 §5.1 (https://www.rfc-editor.org/rfc/rfc5802#section-5.1):
//   attributes, saslname escaping (=2C, =3D), the reserved "m" attribute.
// - RFC 5802 §6 (https://www.rfc-editor.org/rfc/rfc5802#section-6): the
//   gs2-cbind-flag and channel binding rules.
// - RFC 5802 §7 (https://www.rfc-editor.org/rfc/rfc5802#section-7): ABNF.
// - RFC 7677 (https://www.rfc-editor.org/rfc/rfc7677): SCRAM-SHA-256.
// - RFC 6120 §6.5 (https://www.rfc-editor.org/rfc/rfc6120#section-6.5): the
//   SASL failure conditions returned here.

import {
  constantTimeEqual,
  digest,
  hashLength,
  hmac,
  xor,
  type ScramCredential,
  type ScramHash,
} from "./credentials";
import { base64ToBytes, bytesToBase64, utf8Bytes } from "./encoding";

/** RFC 6120 §6.5 SASL error conditions. */
export type SaslFailureCondition =
  | "aborted"
  | "account-disabled"
  | "credentials-expired"
  | "encryption-required"
  | "incorrect-encoding"
  | "invalid-authzid"
  | "invalid-mechanism"
  | "malformed-request"
  | "mechanism-too-weak"
  | "not-authorized"
  | "temporary-auth-failure";

/** SASL mechanism name -> SCRAM hash, for the mechanisms this server offers. */
export const SCRAM_MECHANISMS: Readonly<Record<string, ScramHash>> = {
  "SCRAM-SHA-256": "SHA-256",
  "SCRAM-SHA-1": "SHA-1",
};

/** The SCRAM hash of a mechanism name, or undefined when it is not SCRAM. */
export function scramHashFor(mechanism: string): ScramHash | undefined {
  return Object.hasOwn(SCRAM_MECHANISMS, mechanism) ? SCRAM_MECHANISMS[mechanism] : undefined;
}

export interface ClientFirst {
  /** e.g. "n,," or "n,a=juliet@example.com," — verbatim, with its final comma. */
  gs2Header: string;
  /** Unescaped, NFC-normalised; absent when the client gave none. */
  authzid?: string;
  /** Unescaped, NFC-normalised. */
  username: string;
  clientNonce: string;
  /** Verbatim: it is part of the AuthMessage. */
  clientFirstBare: string;
}

/**
 * The state between server-first and client-final. storedKey and serverKey
 * are base64; fake is copied from a fakeCredential and forces failure.
 */
export interface ScramPending {
  hash: ScramHash;
  username: string;
  authzid?: string;
  gs2Header: string;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  storedKey: string;
  serverKey: string;
  fake?: true;
}

/**
 * Upper bound on the client-first message in UTF-8 bytes. ScramPending holds
 * most of the message twice (username and clientFirstBare, authzid and
 * gs2Header, the nonce in clientFirstBare and serverFirst), so this keeps the
 * serialised state under 2 KB. Real usernames and nonces are far shorter.
 */
export const MAX_CLIENT_FIRST_BYTES = 640;

/** Bytes of randomness in the server's part of the nonce. */
export const SERVER_NONCE_BYTES = 18;

// printable = %x21-2B / %x2D-7E: visible ASCII except ",".
const PRINTABLE = /^[\x21-\x2B\x2D-\x7E]+$/;
// An extension attribute: attr-val = ALPHA "=" value, value non-empty.
const EXTENSION = /^[A-Za-z]=.+$/;
// ASCII and Latin-1 control characters, which SASLprep prohibits
// (RFC 3454 C.2.1, C.2.2); refusing them keeps usernames printable.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

type Failure = { error: SaslFailureCondition };
const malformed = (): Failure => ({ error: "malformed-request" });

/**
 * Decodes a saslname: "=2C" -> ",", "=3D" -> "="; any other "=" is an error
 * (RFC 5802 §5.1: the server MUST fail). null when invalid or empty.
 */
function decodeSaslname(s: string): string | null {
  if (s.length === 0) return null;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== "=") {
      out += ch;
      continue;
    }
    const esc = s.slice(i + 1, i + 3);
    if (esc === "2C") out += ",";
    else if (esc === "3D") out += "=";
    else return null;
    i += 2;
  }
  if (CONTROL.test(out)) return null;
  return out.normalize("NFC");
}

/** Parses the decoded text of a SCRAM client-first message. */
export function parseClientFirst(message: string): ClientFirst | Failure {
  if (utf8Bytes(message).length > MAX_CLIENT_FIRST_BYTES) return malformed();
  if (message.includes("\u0000")) return malformed();

  // gs2-cbind-flag. This server offers only the non-PLUS mechanisms (TLS
  // ends at Cloudflare's edge, so there is no channel to bind to). "p"
  // demands channel binding, which RFC 5802 §6 reserves for the -PLUS
  // variants; under the mechanism the client actually named it violates that
  // mechanism's syntax, which is RFC 6120 §6.5.8 "malformed-request". (It is
  // not "invalid-mechanism": the named mechanism is supported.)
  // "y" (client could bind but believes the server cannot) is accepted: it
  // must only be refused by a server that supports channel binding (§6) —
  // revisit this if SCRAM-*-PLUS is ever offered.
  const flag = message[0];
  if ((flag !== "n" && flag !== "y") || message[1] !== ",") return malformed();
  const authzEnd = message.indexOf(",", 2);
  if (authzEnd < 0) return malformed();
  const authzField = message.slice(2, authzEnd);
  let authzid: string | undefined;
  if (authzField !== "") {
    if (!authzField.startsWith("a=")) return malformed();
    const decoded = decodeSaslname(authzField.slice(2));
    if (decoded === null) return malformed();
    authzid = decoded;
  }
  const gs2Header = message.slice(0, authzEnd + 1);
  const clientFirstBare = message.slice(authzEnd + 1);

  const [userField, nonceField, ...extensions] = clientFirstBare.split(",");
  // RFC 5802 §5.1: "m" is reserved; its presence MUST cause failure.
  if (userField === undefined || userField.startsWith("m=")) return malformed();
  if (!userField.startsWith("n=")) return malformed();
  const username = decodeSaslname(userField.slice(2));
  if (username === null) return malformed();
  if (nonceField === undefined || !nonceField.startsWith("r=")) return malformed();
  const clientNonce = nonceField.slice(2);
  if (!PRINTABLE.test(clientNonce)) return malformed();
  // Other extensions are ignored (RFC 5802 §5), but must be well-formed.
  for (const ext of extensions) {
    if (!EXTENSION.test(ext) || ext.startsWith("m=")) return malformed();
  }

  const first: ClientFirst = { gs2Header, username, clientNonce, clientFirstBare };
  if (authzid !== undefined) first.authzid = authzid;
  return first;
}

/**
 * Builds the server-first message ("r=<nonce>,s=<salt>,i=<iterations>") and
 * the state to keep for the final step. serverNonce is for tests; by default
 * it is SERVER_NONCE_BYTES random bytes in base64 (never contains ",").
 */
export function serverFirstMessage(
  hash: ScramHash,
  first: ClientFirst,
  cred: ScramCredential,
  serverNonce?: string,
): { pending: ScramPending; message: string } {
  const suffix = serverNonce ?? bytesToBase64(crypto.getRandomValues(new Uint8Array(SERVER_NONCE_BYTES)));
  if (!PRINTABLE.test(suffix)) throw new Error("serverFirstMessage: server nonce must be printable without ','");
  const nonce = first.clientNonce + suffix;
  const message = `r=${nonce},s=${cred.salt},i=${cred.iterations}`;
  const pending: ScramPending = {
    hash,
    username: first.username,
    gs2Header: first.gs2Header,
    clientFirstBare: first.clientFirstBare,
    serverFirst: message,
    nonce,
    storedKey: cred.storedKey,
    serverKey: cred.serverKey,
  };
  if (first.authzid !== undefined) pending.authzid = first.authzid;
  if (cred.fake === true) pending.fake = true;
  return { pending, message };
}

/**
 * Checks the decoded client-final message against the pending state. On
 * success returns the server-final message "v=<ServerSignature>".
 */
export async function verifyClientFinal(
  pending: ScramPending,
  clientFinal: string,
): Promise<{ ok: true; serverFinal: string } | { ok: false; condition: SaslFailureCondition }> {
  const fail = (condition: SaslFailureCondition) => ({ ok: false as const, condition });
  if (clientFinal.includes("\u0000")) return fail("malformed-request");

  // client-final-message = client-final-message-without-proof "," proof,
  // and the proof is always the last attribute.
  const proofAt = clientFinal.lastIndexOf(",p=");
  if (proofAt < 0) return fail("malformed-request");
  const withoutProof = clientFinal.slice(0, proofAt);
  const proofB64 = clientFinal.slice(proofAt + 3);
  if (proofB64.includes(",")) return fail("malformed-request");

  const [cbField, nonceField, ...extensions] = withoutProof.split(",");
  if (cbField === undefined || !cbField.startsWith("c=")) return fail("malformed-request");
  if (nonceField === undefined || !nonceField.startsWith("r=")) return fail("malformed-request");
  for (const ext of extensions) {
    if (!EXTENSION.test(ext) || ext.startsWith("m=")) return fail("malformed-request");
  }

  const cbind = base64ToBytes(cbField.slice(2));
  const proof = base64ToBytes(proofB64);
  if (cbind === null || proof === null) return fail("incorrect-encoding");
  if (proof.length !== hashLength(pending.hash)) return fail("malformed-request");

  // Without channel binding, cbind-input is the gs2-header alone (RFC 5802
  // §7): it must repeat the client-first header, which detects a downgrade
  // of the gs2 flag or a swapped authzid.
  if (!constantTimeEqual(cbind, utf8Bytes(pending.gs2Header))) return fail("not-authorized");
  if (nonceField.slice(2) !== pending.nonce) return fail("not-authorized");

  const storedKey = base64ToBytes(pending.storedKey);
  const serverKey = base64ToBytes(pending.serverKey);
  if (storedKey === null || serverKey === null) throw new Error("verifyClientFinal: corrupt pending state");

  // RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage);
  // the client knows the password iff H(ClientKey) == StoredKey.
  const authMessage = utf8Bytes(`${pending.clientFirstBare},${pending.serverFirst},${withoutProof}`);
  const clientSignature = await hmac(pending.hash, storedKey, authMessage);
  const clientKey = xor(proof, clientSignature);
  const matches = constantTimeEqual(await digest(pending.hash, clientKey), storedKey);
  if (!matches || pending.fake === true) return fail("not-authorized");

  const serverSignature = await hmac(pending.hash, serverKey, authMessage);
  return { ok: true, serverFinal: `v=${bytesToBase64(serverSignature)}` };
}
