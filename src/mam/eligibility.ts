// Which messages go into a user's archive (XEP-0313 §7.1.1 User Archives, with the
// XEP-0334 Message Processing Hints).
//
// - types chat and normal only: groupchat is left to the room's own archive (this server
//   does not advertise urn:xmpp:mam:2#groupchat-available), headline is "not generally
//   suggested", and errors are not conversation;
// - <no-store/> and <no-permanent-store/> (XEP-0334 §4.2, §4.3) keep it out;
// - a <body/> or a <store/> hint (§4.4) puts it in;
// - carbon copies and archive results are copies of something archived already (§7.1.1:
//   a stanza is stored once however many copies are made).
import type { Element } from "../xml/stanza";
import { hasChild, isForwardedCopy } from "../xml/forwarded";
import { NS } from "../xml/namespaces";

export function isArchivable(message: Element): boolean {
  if (message.name !== "message") return false;
  const type = message.attrs.type ?? "normal";
  if (type !== "chat" && type !== "normal") return false;
  if (isForwardedCopy(message)) return false;
  if (hasChild(message, NS.hints, ["no-store", "no-permanent-store"])) return false;
  return message.getChild("body") !== undefined || hasChild(message, NS.hints, ["store"]);
}
