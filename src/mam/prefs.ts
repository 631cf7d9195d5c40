// Archiving preferences: a default (always, never, roster) and two JID lists. Defined in
// XEP-0313 up to 0.6 (§6) and now in XEP-0441, the same <prefs xmlns='urn:xmpp:mam:2'/> element.
import { type Element, xml } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import { NS } from "../xml/namespaces";

export type DefaultPolicy = "always" | "never" | "roster";

export interface MamPrefs {
  default: DefaultPolicy;
  always: string[];
  never: string[];
}

/** Prosody and ejabberd archive everything unless told otherwise; so does this server. */
export const DEFAULT_PREFS: MamPrefs = { default: "always", always: [], never: [] };
/** JIDs kept in each list, so a prefs set cannot grow without bound. */
export const MAX_PREFS_JIDS = 500;

const POLICIES: readonly string[] = ["always", "never", "roster"];

/** Reads a <prefs/> set; a string naming the error condition when it is malformed. */
export function parsePrefs(el: Element): MamPrefs | "bad-request" | "jid-malformed" | "policy-violation" {
  const def = el.attrs.default;
  if (typeof def !== "string" || !POLICIES.includes(def)) return "bad-request";
  const lists: { always: string[]; never: string[] } = { always: [], never: [] };
  for (const name of ["always", "never"] as const) {
    const list = el.getChild(name, NS.mam);
    for (const j of list?.getChildren("jid", NS.mam) ?? []) {
      const parsed = parseJid(j.getText().trim());
      if (!parsed) return "jid-malformed";
      if (!lists[name].includes(parsed.full)) lists[name].push(parsed.full);
    }
    if (lists[name].length > MAX_PREFS_JIDS) return "policy-violation";
  }
  return { default: def as DefaultPolicy, ...lists };
}

/** <prefs xmlns='urn:xmpp:mam:2' default=...><always>jid*</always><never>jid*</never></prefs> */
export function prefsElement(prefs: MamPrefs): Element {
  const list = (name: string, jids: string[]) => xml(name, {}, ...jids.map((j) => xml("jid", {}, j)));
  return xml("prefs", { xmlns: NS.mam, default: prefs.default }, list("always", prefs.always), list("never", prefs.never));
}

/**
 * Should a message with the other party `withJid` (the 'to' of an outgoing message, the
 * 'from' of an incoming one) be archived? XEP-0441 §2.3: a listed full JID is compared
 * with the target as it is, a listed bare JID with the target's bare JID; the roster
 * default looks up the bare JID. <never/> wins over <always/> (the XEP leaves a JID in
 * both lists open; not archiving is the safe reading), and both win over the default.
 */
export function prefsAllow(prefs: MamPrefs, withJid: string, inRoster: (bare: string) => boolean): boolean {
  const target = parseJid(withJid);
  const full = target?.full ?? withJid;
  const bare = target?.bare ?? withJid.split("/")[0]!;
  const listed = (list: string[]) => list.includes(full) || list.includes(bare);
  if (listed(prefs.never)) return false;
  if (listed(prefs.always)) return true;
  if (prefs.default === "always") return true;
  if (prefs.default === "never") return false;
  return inRoster(bare);
}
