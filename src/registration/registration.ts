// XEP-0077 In-Band Registration: account creation before authentication (only where
// the host sets `registration = true`), and password change / account removal for
// an authenticated user (always available, as in Prosody's mod_register).
import type { Ports } from "../ports/ports";
import type { HostConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqResult, xml } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import { deriveCredentials } from "../sasl";

export function registrationStreamFeature(): Element {
  return xml("register", { xmlns: NS.registerFeature });
}

export const MAX_PASSWORD_LENGTH = 1024;
/** Accounts one client address may create before authentication, per REGISTRATION_WINDOW_MS. */
export const MAX_REGISTRATIONS_PER_WINDOW = 5;
export const REGISTRATION_WINDOW_MS = 60 * 60 * 1000;

/**
 * Answers a jabber:iq:register IQ. `bare` is the authenticated account, or null
 * before authentication; `remoteAddress` is the client's address, which has a budget
 * of account creations (XEP-0077 Security Considerations: limit automated registration).
 * Returns the reply to send to the client.
 */
export async function handleRegistrationIq(ports: Ports, host: HostConfig, iq: Element, bare: string | null, remoteAddress = ""): Promise<Element> {
  const query = iq.getChild("query", NS.register)!;
  const from = host.domain;
  if (iq.attrs.type === "get") {
    if (bare) {
      return iqResult(iq, xml("query", { xmlns: NS.register }, xml("registered"), xml("username", {}, bare.split("@")[0]!)), from);
    }
    if (!host.registration) return errorReply(iq, "service-unavailable", undefined, from);
    return iqResult(
      iq,
      xml("query", { xmlns: NS.register }, xml("instructions", {}, "Choose a username and password."), xml("username"), xml("password")),
      from,
    );
  }
  if (iq.attrs.type !== "set") return errorReply(iq, "bad-request", undefined, from);

  if (query.getChild("remove")) {
    if (!bare) return errorReply(iq, "registration-required", "authenticate first", from);
    await ports.account(bare).deleteAccount("account removed by its owner");
    return iqResult(iq, undefined, from);
  }
  const username = (query.getChildText("username") ?? "").trim();
  const password = query.getChildText("password") ?? "";
  if (!username || !password) return errorReply(iq, "not-acceptable", "username and password are required", from);
  if (password.length > MAX_PASSWORD_LENGTH) return errorReply(iq, "not-acceptable", "password too long", from);
  const jid = parseJid(`${username}@${host.domain}`);
  if (!jid || jid.resource || jid.domain !== host.domain) return errorReply(iq, "jid-malformed", "invalid username", from);

  if (bare) {
    // Password change (XEP-0077 §3.3): only for the authenticated account.
    if (jid.bare !== bare) return errorReply(iq, "not-allowed", "you can only change your own password", from);
    await ports.account(bare).setCredentials(await deriveCredentials(password), false);
    return iqResult(iq, undefined, from);
  }
  if (!host.registration) return errorReply(iq, "service-unavailable", undefined, from);
  const account = ports.account(jid.bare);
  // Looked up before the key derivation (two PBKDF2 runs): a taken name costs one lookup.
  if (await account.exists()) return errorReply(iq, "conflict", "the username is taken", from);
  const attempts = await ports.throttle(`register:${remoteAddress}`).hit(REGISTRATION_WINDOW_MS);
  if (attempts > MAX_REGISTRATIONS_PER_WINDOW) {
    return errorReply(iq, "policy-violation", "too many accounts registered from your address; try again later", from);
  }
  const outcome = await account.setCredentials(await deriveCredentials(password), true);
  if (outcome === "exists") return errorReply(iq, "conflict", "the username is taken", from);
  return iqResult(iq, undefined, from);
}

/**
 * A jabber:iq:register IQ from an authenticated session. XEP-0077 §3.2: on <remove/>
 * the result is sent before the account goes (deleting it closes this very stream).
 */
export async function answerRegistrationIq(ports: Ports, host: HostConfig, iq: Element, bare: string, send: (el: Element) => void): Promise<void> {
  const query = iq.getChild("query", NS.register)!;
  if (iq.attrs.type === "set" && query.getChild("remove")) {
    send(iqResult(iq, undefined, host.domain));
    await ports.account(bare).deleteAccount("account removed by its owner");
    return;
  }
  send(await handleRegistrationIq(ports, host, iq, bare));
}
