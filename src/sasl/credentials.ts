// What an account stores for SASL: never the password, only the SCRAM salted
// keys (StoredKey, ServerKey) per hash. PLAIN is verified against the same
// SCRAM-SHA-256 keys, so one stored form serves every mechanism.
//
// References:
// - RFC 5802 §3 (https://www.rfc-editor.org/rfc/rfc5802#section-3):
//   SaltedPassword = Hi(Normalize(password), salt, i), ClientKey, StoredKey,
//   ServerKey.
// - RFC 5802 §5.1 and §9: a unique salt per credential, iteration count.
// - RFC 7677 §4 (https://www.rfc-editor.org/rfc/rfc7677#section-4): SHA-256
//   variant, iteration count of at least 4096.
// - RFC 4013 §2 (https://www.rfc-editor.org/rfc/rfc4013#section-2): SASLprep
//   mapping and NFKC normalisation (applied here without the prohibited and
//   bidi checks: see saslPrepLite).
// - RFC 5802 §9 / RFC 7677 §4 security considerations: a server should not
//   reveal whether an account exists (fakeCredential).

import { base64ToBytes, bytesToBase64, utf8Bytes } from "./encoding";

export type ScramHash = "SHA-1" | "SHA-256";

/** One SCRAM credential; all binary fields are base64 strings. */
export interface ScramCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
  /**
   * Set only by fakeCredential. Never stored; it makes verification fail by
   * construction rather than merely with overwhelming probability.
   */
  fake?: true;
}

export interface StoredCredentials {
  sha1: ScramCredential;
  sha256: ScramCredential;
}

/** RFC 7677 §4 minimum recommendation. */
export const DEFAULT_ITERATIONS = 4096;
/** Cloudflare's production runtime refuses PBKDF2 with more iterations. */
export const MAX_ITERATIONS = 100_000;
/** Bytes of random salt per credential. */
export const SALT_BYTES = 16;

const HASH_BYTES: Record<ScramHash, number> = { "SHA-1": 20, "SHA-256": 32 };

/** Output length of the hash in bytes (20 for SHA-1, 32 for SHA-256). */
export function hashLength(hash: ScramHash): number {
  return HASH_BYTES[hash];
}

// --- WebCrypto primitives -------------------------------------------------

/** H(data) per RFC 5802 §2.2. */
export async function digest(hash: ScramHash, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, data));
}

/** HMAC(key, data) per RFC 5802 §2.2. */
export async function hmac(hash: ScramHash, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/** Hi(str, salt, i) per RFC 5802 §2.2, which is PBKDF2 with HMAC as PRF. */
async function hi(hash: ScramHash, password: Uint8Array, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash, salt, iterations },
    k,
    HASH_BYTES[hash] * 8,
  );
  return new Uint8Array(bits);
}

/** XOR of two equal-length byte strings. */
export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError("xor: length mismatch");
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Constant-time equality. Lengths are not secret here (they are fixed by the
 * hash), so a length mismatch returns false straight away.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // workerd provides timingSafeEqual; other runtimes may not.
  if (typeof crypto.subtle.timingSafeEqual === "function") return crypto.subtle.timingSafeEqual(a, b);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

// --- Password preparation -------------------------------------------------

// RFC 3454 table C.1.2 (non-ASCII space characters): mapped to U+0020.
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
// RFC 3454 table B.1 (commonly mapped to nothing): removed.
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;

/**
 * SASLprep (RFC 4013) mapping and NFKC normalisation, without the prohibited
 * output and bidi checks. Clients that implement full SASLprep produce the
 * same string for every password they accept, and a client that skips
 * SASLprep still matches for plain ASCII passwords.
 */
export function saslPrepLite(s: string): string {
  return s.replace(NON_ASCII_SPACE, " ").replace(MAPPED_TO_NOTHING, "").normalize("NFKC");
}

// --- Credentials ----------------------------------------------------------

function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`SCRAM iteration count must be an integer in 1..${MAX_ITERATIONS}`);
  }
}

interface Keys {
  storedKey: Uint8Array;
  serverKey: Uint8Array;
}

function saltedPassword(hash: ScramHash, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  return hi(hash, utf8Bytes(saslPrepLite(password)), salt, iterations);
}

/** StoredKey = H(HMAC(SaltedPassword, "Client Key")). */
async function storedKeyOf(hash: ScramHash, salted: Uint8Array): Promise<Uint8Array> {
  return digest(hash, await hmac(hash, salted, utf8Bytes("Client Key")));
}

async function keysFor(hash: ScramHash, password: string, salt: Uint8Array, iterations: number): Promise<Keys> {
  const salted = await saltedPassword(hash, password, salt, iterations);
  const serverKey = await hmac(hash, salted, utf8Bytes("Server Key"));
  return { storedKey: await storedKeyOf(hash, salted), serverKey };
}

/**
 * Builds one SCRAM credential from a known salt (registration uses random
 * salts through deriveCredentials; tests use the RFC vectors' salts).
 */
export async function deriveCredential(
  hash: ScramHash,
  password: string,
  saltBytes: Uint8Array,
  iterations: number = DEFAULT_ITERATIONS,
): Promise<ScramCredential> {
  checkIterations(iterations);
  if (saltBytes.length === 0) throw new RangeError("SCRAM salt must not be empty");
  const { storedKey, serverKey } = await keysFor(hash, password, saltBytes, iterations);
  return {
    salt: bytesToBase64(saltBytes),
    iterations,
    storedKey: bytesToBase64(storedKey),
    serverKey: bytesToBase64(serverKey),
  };
}

/** Credentials for a new password: a fresh random 16-byte salt per hash. */
export async function deriveCredentials(
  password: string,
  iterations: number = DEFAULT_ITERATIONS,
): Promise<StoredCredentials> {
  const [sha1, sha256] = await Promise.all([
    deriveCredential("SHA-1", password, crypto.getRandomValues(new Uint8Array(SALT_BYTES)), iterations),
    deriveCredential("SHA-256", password, crypto.getRandomValues(new Uint8Array(SALT_BYTES)), iterations),
  ]);
  return { sha1, sha256 };
}

/** The credential of `creds` for a given SCRAM hash. */
export function credentialFor(creds: StoredCredentials, hash: ScramHash): ScramCredential {
  return hash === "SHA-1" ? creds.sha1 : creds.sha256;
}

/**
 * Checks a cleartext password (SASL PLAIN) by recomputing the SCRAM-SHA-256
 * StoredKey with the stored salt and comparing in constant time.
 */
export async function verifyPassword(creds: StoredCredentials, password: string): Promise<boolean> {
  const cred = creds.sha256;
  const salt = base64ToBytes(cred.salt);
  const expected = base64ToBytes(cred.storedKey);
  if (salt === null || salt.length === 0 || expected === null) return false;
  checkIterations(cred.iterations);
  // Only StoredKey is compared (the ServerKey is not needed to check a password).
  const storedKey = await storedKeyOf("SHA-256", await saltedPassword("SHA-256", password, salt, cred.iterations));
  return constantTimeEqual(storedKey, expected) && cred.fake !== true;
}

/**
 * A stand-in credential for an unknown user, so the server-first message of
 * a nonexistent account looks like a real one: the salt is derived from the
 * server secret and the username (the same salt every time, as a real
 * account's would be), and the keys are pseudo-random. It is marked `fake`,
 * so verifyClientFinal and verifyPassword always fail on it.
 */
export async function fakeCredential(
  hash: ScramHash,
  username: string,
  serverSecret: string,
  iterations: number = DEFAULT_ITERATIONS,
): Promise<ScramCredential> {
  checkIterations(iterations);
  // An empty secret would make the fake salt predictable, which would let
  // anyone tell fake from real accounts by recomputing it.
  if (serverSecret.length === 0) throw new Error("fakeCredential: serverSecret must not be empty");
  const key = utf8Bytes(serverSecret);
  // Distinct labels keep salt and keys independent; the NUL separators keep
  // (hash, username) pairs from colliding.
  const derive = (label: string) =>
    hmac("SHA-256", key, utf8Bytes(`xmpp-edge scram ${label}\u0000${hash}\u0000${username}`));
  const [salt, storedKey, serverKey] = await Promise.all([derive("salt"), derive("stored-key"), derive("server-key")]);
  const len = HASH_BYTES[hash];
  return {
    salt: bytesToBase64(salt.subarray(0, SALT_BYTES)),
    iterations,
    storedKey: bytesToBase64(storedKey.subarray(0, len)),
    serverKey: bytesToBase64(serverKey.subarray(0, len)),
    fake: true,
  };
}

/** fakeCredential for both hashes: what to verify a PLAIN attempt against for an unknown user. */
export async function fakeCredentials(
  username: string,
  serverSecret: string,
  iterations: number = DEFAULT_ITERATIONS,
): Promise<StoredCredentials> {
  const [sha1, sha256] = await Promise.all([
    fakeCredential("SHA-1", username, serverSecret, iterations),
    fakeCredential("SHA-256", username, serverSecret, iterations),
  ]);
  return { sha1, sha256 };
}
