// Roster get/set/remove by the account's own client (RFC 6121 §2.1–§2.5),
// with roster versioning (§2.6: an equal `ver` gets an empty result; pushes follow).
import type { Account } from "./account";
import type { RosterItem } from "./roster-store";
import { NO_CONTACT } from "./subscription";
import { itemElement } from "./roster-push";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqResult, xml } from "../xml/stanza";
import { parseJid } from "../jid/jid";

export const MAX_NAME_LENGTH = 1024;
export const MAX_GROUP_LENGTH = 1024;
export const MAX_GROUPS = 64;

/** The full roster as a result to `iq`, or an empty result when `ver` is current. */
export function rosterResult(account: Account, iq: Element, query: Element): Element {
  const ver = String(account.roster.version());
  if (query.attrs.ver !== undefined && query.attrs.ver === ver) return iqResult(iq, undefined, account.bare);
  return iqResult(iq, xml("query", { xmlns: NS.roster, ver }, ...account.roster.items().map((i) => itemElement(i))), account.bare);
}

/** Validates a roster set's single item; returns the error condition when it is refused (RFC 6121 §2.3.3). */
export function parseRosterSet(account: Account, iq: Element, query: Element): { item: Element; jid: string } | { error: Element } {
  const items = query.getChildren("item");
  if (items.length !== 1 || query.getChildElements().length !== 1) {
    return { error: errorReply(iq, "bad-request", "a roster set carries exactly one item", account.bare) };
  }
  const item = items[0]!;
  const jid = item.attrs.jid ? parseJid(item.attrs.jid) : null;
  if (!jid) return { error: errorReply(iq, "bad-request", "the item needs a valid jid", account.bare) };
  if (jid.resource) return { error: errorReply(iq, "bad-request", "roster items are bare JIDs", account.bare) };
  if (item.attrs.name !== undefined && item.attrs.name.length > MAX_NAME_LENGTH) {
    return { error: errorReply(iq, "not-acceptable", "name too long", account.bare) };
  }
  const groups = item.getChildren("group").map((g) => g.getText());
  if (groups.some((g) => g.trim() === "")) return { error: errorReply(iq, "not-acceptable", "empty group name", account.bare) };
  if (groups.some((g) => g.length > MAX_GROUP_LENGTH)) return { error: errorReply(iq, "not-acceptable", "group name too long", account.bare) };
  if (new Set(groups).size !== groups.length) return { error: errorReply(iq, "bad-request", "duplicate group", account.bare) };
  if (groups.length > MAX_GROUPS) return { error: errorReply(iq, "not-acceptable", "too many groups", account.bare) };
  return { item, jid: jid.bare };
}

/** Applies a validated roster set (RFC 6121 §2.3.2, §2.5.2). */
export async function applyRosterSet(account: Account, iq: Element, item: Element, jid: string): Promise<Element> {
  const existing = account.roster.get(jid);
  if (item.attrs.subscription === "remove") {
    if (!existing || !existing.state.inRoster) return errorReply(iq, "item-not-found", undefined, account.bare);
    await account.removeContact(existing);
    return iqResult(iq, undefined, account.bare);
  }
  // Any other 'subscription' or 'ask' value from a client is ignored (RFC 6121 §2.1.2.5, §2.3.2).
  const state = { ...(existing?.state ?? NO_CONTACT), inRoster: true };
  const next: RosterItem = {
    jid,
    name: item.attrs.name ?? null,
    groups: item.getChildren("group").map((g) => g.getText()),
    state,
    pendingStanza: existing?.pendingStanza ?? null,
  };
  const refusal = account.rosterRefusal(existing, next);
  if (refusal) return errorReply(iq, "policy-violation", refusal, account.bare);
  await account.saveAndPush(next);
  return iqResult(iq, undefined, account.bare);
}

export async function handleRosterIq(account: Account, iq: Element, query: Element, resource: string): Promise<string> {
  if (iq.attrs.type === "get") {
    const r = account.resources.get(resource);
    if (r && !r.interested) account.resources.put({ ...r, interested: true });
    return rosterResult(account, iq, query).toString();
  }
  const parsed = parseRosterSet(account, iq, query);
  if ("error" in parsed) return parsed.error.toString();
  return (await applyRosterSet(account, iq, parsed.item, parsed.jid)).toString();
}
