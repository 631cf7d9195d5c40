// SASL negotiation on a client stream (RFC 6120 §6): <auth/>, <response/>, <abort/>.
// Credentials come from the account object; the cryptography runs here, in the
// connection's object, so that one busy account never serialises everyone's logins.
import type { Connection } from "./connection";
import type { ClientState } from "./client-state";
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import {
  base64ToUtf8, credentialFor, fakeCredential, fakeCredentials, parseClientFirst, parsePlain, scramHashFor, serverFirstMessage,
  utf8ToBase64, verifyClientFinal, verifyPassword, type SaslFailureCondition,
} from "../sasl";
import { serverSecret } from "./server-secret";
import { wait } from "./failure-delay";

export { MAX_FAILURE_DELAY_MS, throttleDelayMs } from "./failure-delay";

export const MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"] as const;
type Mechanism = (typeof MECHANISMS)[number];

type SaslState = Extract<ClientState, { phase: "sasl" }>;

export function mechanismsFeature(): Element {
  return xml("mechanisms", { xmlns: NS.sasl }, ...MECHANISMS.map((m) => xml("mechanism", {}, m)));
}

function failure(condition: SaslFailureCondition, text?: string): Element {
  const el = xml("failure", { xmlns: NS.sasl }, xml(condition));
  if (text) el.c("text", { "xml:lang": "en" }).t(text);
  return el;
}

/**
 * RFC 6120 §6.4.5: a reasonable number of retries (at least 2, at most 5); the failure
 * that reaches it is followed by stream error policy-violation.
 */
export const MAX_SASL_FAILURES = 5;
/**
 * How long a failed login's answer waits: the longer of what the account's and the address's
 * throttles say. Counted in the ThrottleObject for both existing and unknown accounts, so the
 * wait does not tell whether an account exists.
 */
async function failureWait(conn: Connection<ClientState>, bare: string | null): Promise<number> {
  const threshold = conn.config.limits.authFailuresBeforeDelay;
  const throttle = conn.services.ports.throttle;
  const waits = await Promise.all([bare ? throttle(`account:${bare}`).fail(threshold) : 0, throttle(`ip:${conn.remoteAddress}`).fail(threshold)]);
  return Math.max(...waits);
}

async function fail(conn: Connection<ClientState>, state: SaslState, condition: SaslFailureCondition, bare: string | null): Promise<void> {
  delete state.scram;
  state.failures = (state.failures ?? 0) + 1;
  conn.save();
  if (condition === "not-authorized") {
    await wait(await failureWait(conn, bare));
  }
  conn.send(failure(condition));
  if (state.failures >= MAX_SASL_FAILURES) await conn.close("policy-violation", "too many failed authentication attempts");
}

async function succeed(conn: Connection<ClientState>, state: SaslState, bare: string, additional?: string): Promise<void> {
  conn.state = { kind: "client", phase: "restart", host: state.host, bare };
  conn.save();
  conn.send(xml("success", { xmlns: NS.sasl }, additional === undefined ? "" : utf8ToBase64(additional)));
  // A success after failures on this stream forgets the account's count (no call otherwise:
  // the counter lives in an object of its own, not worth waking on every login).
  if (state.failures) conn.waitUntil(conn.services.ports.throttle(`account:${bare}`).clear());
}

function accountJid(username: string, host: string): string | null {
  const jid = parseJid(`${username}@${host}`);
  return jid && !jid.resource && jid.domain === host ? jid.bare : null;
}

/** The authzid, when given, must name the account being authenticated (RFC 6120 §6.3.8). */
function authzidMatches(authzid: string | undefined, bare: string): boolean {
  if (!authzid) return true;
  const j = parseJid(authzid);
  return !!j && j.bare === bare && !j.resource;
}

/**
 * <auth/> elements one stream may send, finished or not. Each costs a look-up in the
 * account's object (which also serves that user's traffic), so a stream restarting SCRAM
 * over and over is ended like one that keeps failing.
 */
export const MAX_SASL_ATTEMPTS = MAX_SASL_FAILURES;

export async function onAuth(conn: Connection<ClientState>, state: SaslState, el: Element): Promise<void> {
  state.attempts = (state.attempts ?? 0) + 1;
  conn.save();
  if (state.attempts > MAX_SASL_ATTEMPTS) return conn.close("policy-violation", "too many authentication attempts on one stream");
  const mechanism = el.attrs.mechanism as Mechanism | undefined;
  if (!mechanism || !MECHANISMS.includes(mechanism)) return fail(conn, state, "invalid-mechanism", null);
  const text = el.getText().trim();
  const message = text === "" ? "" : base64ToUtf8(text);
  if (message === null) return fail(conn, state, "incorrect-encoding", null);

  if (mechanism === "PLAIN") {
    const plain = parsePlain(message);
    if ("error" in plain) return fail(conn, state, plain.error, null);
    const bare = accountJid(plain.authcid, state.host);
    if (!bare) return fail(conn, state, "not-authorized", null);
    if (!authzidMatches(plain.authzid, bare)) return fail(conn, state, "invalid-authzid", bare);
    const creds = await conn.services.ports.account(bare).credentials();
    // An unknown account costs the same work (a fake credential, marked to never verify),
    // so the time to the answer does not tell whether the account exists.
    const checked = creds ?? (await fakeCredentials(bare, await serverSecret(conn.services.ports)));
    if (!(await verifyPassword(checked, plain.password))) return fail(conn, state, "not-authorized", bare);
    return succeed(conn, state, bare);
  }

  const hash = scramHashFor(mechanism);
  if (!hash) return fail(conn, state, "invalid-mechanism", null);
  const first = parseClientFirst(message);
  if ("error" in first) return fail(conn, state, first.error, null);
  const bare = accountJid(first.username, state.host);
  if (!bare) return fail(conn, state, "not-authorized", null);
  if (!authzidMatches(first.authzid, bare)) return fail(conn, state, "invalid-authzid", bare);
  const creds = await conn.services.ports.account(bare).credentials();
  // An unknown account gets a plausible challenge, so SCRAM does not reveal which accounts exist.
  // The fake salt is keyed by the server secret, so nobody can recompute it and compare.
  const credential = creds ? credentialFor(creds, hash) : await fakeCredential(hash, bare, await serverSecret(conn.services.ports));
  const { pending, message: challenge } = serverFirstMessage(hash, first, credential);
  state.scram = pending;
  conn.save();
  conn.send(xml("challenge", { xmlns: NS.sasl }, utf8ToBase64(challenge)));
}

export async function onResponse(conn: Connection<ClientState>, state: SaslState, el: Element): Promise<void> {
  const pending = state.scram;
  if (!pending) return fail(conn, state, "malformed-request", null);
  const message = base64ToUtf8(el.getText().trim());
  if (message === null) return fail(conn, state, "incorrect-encoding", null);
  const bare = accountJid(pending.username, state.host);
  const result = await verifyClientFinal(pending, message);
  if (!result.ok || !bare) return fail(conn, state, result.ok ? "not-authorized" : result.condition, bare);
  return succeed(conn, state, bare, result.serverFinal);
}

export async function onAbort(conn: Connection<ClientState>, state: SaslState): Promise<void> {
  delete state.scram;
  conn.save();
  conn.send(failure("aborted"));
}
