// JIDs as the gateway sees them: validated strictly (RFC 7622), normalised by @xmpp/jid.
//
// @xmpp/jid only splits and lower-cases; it accepts "a@", "x/" or "a b@x" (which it
// silently escapes). A server must refuse those with jid-malformed, so the
// checks below run first and @xmpp/jid does the normalisation.
// References: RFC 7622 §3 (address format), RFC 6120 §8.3.3.8 (jid-malformed).
import { JID } from "@xmpp/jid";

export interface Jid {
  readonly local: string; // "" when absent
  readonly domain: string;
  readonly resource: string; // "" when absent
  readonly bare: string;
  readonly full: string;
}

const MAX_PART_BYTES = 1023;
// RFC 7622 §3.3.1: characters the localpart may not contain.
const LOCAL_FORBIDDEN = /["&'/:<>@\s\u0000-\u001f\u007f]/;
// A domainpart is a DNS name or an IP literal; anything with these is not.
const DOMAIN_FORBIDDEN = /[@/\s\u0000-\u001f\u007f"&'<>\\]/;
const encoder = new TextEncoder();

function tooLong(part: string): boolean {
  return part.length > MAX_PART_BYTES || encoder.encode(part).length > MAX_PART_BYTES;
}

// Every stanza's `to` (and many `from`s) is parsed at least once, and the same few JIDs
// recur: remembering recent answers keeps @xmpp/jid's escaping checks, NFC and UTF-8
// length counts off the hot path. Results are frozen, so sharing them is safe.
const MEMO_SIZE = 2048;
const memo = new Map<string, Jid | null>();

/** Parses and validates a JID; null when it is malformed. */
export function parseJid(input: string): Jid | null {
  const known = memo.get(input);
  if (known !== undefined) return known;
  const parsed = parseUncached(input);
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
  memo.set(input, parsed);
  return parsed;
}

function parseUncached(input: string): Jid | null {
  let rest = input;
  let resource = "";
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    resource = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (resource === "" || tooLong(resource) || /[\u0000-\u001f\u007f]/.test(resource)) return null;
  }
  let local = "";
  const at = rest.indexOf("@");
  if (at !== -1) {
    local = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (local === "" || tooLong(local) || LOCAL_FORBIDDEN.test(local)) return null;
  }
  let domain = rest.endsWith(".") ? rest.slice(0, -1) : rest; // RFC 7622 §3.2: strip a trailing dot
  if (domain === "" || tooLong(domain) || DOMAIN_FORBIDDEN.test(domain) || domain.startsWith(".") || domain.includes("..")) {
    return null;
  }
  const j = new JID(local.normalize("NFC"), domain.normalize("NFC"), resource.normalize("NFC"));
  local = j.local;
  domain = j.domain;
  resource = j.resource;
  const bare = local ? `${local}@${domain}` : domain;
  return Object.freeze({ local, domain, resource, bare, full: resource ? `${bare}/${resource}` : bare });
}

export function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return slash === -1 ? jid : jid.slice(0, slash);
}

export function domainOf(jid: string): string {
  const bare = bareOf(jid);
  return bare.slice(bare.indexOf("@") + 1);
}
