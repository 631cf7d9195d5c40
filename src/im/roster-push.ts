// Roster items on the wire (RFC 6121 §2.1.2) and roster pushes (§2.1.6).
import type { RosterItem } from "./roster-store";
import { rosterItemAttributes } from "./subscription";
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";

export function itemElement(item: RosterItem, removed = false): Element {
  if (removed) return xml("item", { jid: item.jid, subscription: "remove" });
  const attrs: Record<string, string> = { jid: item.jid, ...rosterItemAttributes(item.state) };
  if (item.name) attrs.name = item.name;
  return xml("item", attrs, ...item.groups.map((g) => xml("group", {}, g)));
}

/** A roster push (RFC 6121 §2.1.6); `to` and `id` are filled in per recipient. */
export function rosterPush(item: RosterItem, ver: string, removed: boolean): Element {
  return xml("iq", { xmlns: NS.client, type: "set" }, xml("query", { xmlns: NS.roster, ver }, itemElement(item, removed)));
}

