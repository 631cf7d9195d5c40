// Putting a message into its owner's archive at delivery time, and announcing the id.
import type { Element } from "../xml/stanza";
import { clientCopy } from "../xml/forwarded";
import type { ArchiveStore, Direction } from "./archive-store";
import { isArchivable } from "./eligibility";
import { prefsAllow } from "./prefs";
import { stampStanzaId, stripStanzaIds } from "./stanza-id";

export interface ArchiveContext {
  ownerBare: string;
  /** "out": the owner sent it; "in": the owner receives it. */
  direction: Direction;
  now: number;
  /** For the 'roster' default preference. */
  inRoster: (bare: string) => boolean;
}

/**
 * Archives `message` when it is eligible and the owner's preferences allow it; the new
 * archive id, or null. The message is not changed: the stored copy has no stanza-id
 * claiming to be ours (a forged one must not be kept, XEP-0359 §5).
 */
export function archiveMessage(store: ArchiveStore, message: Element, ctx: ArchiveContext): string | null {
  if (!isArchivable(message)) return null;
  const other = ctx.direction === "out" ? message.attrs.to : message.attrs.from;
  // A message without the other party's address is addressed to the account itself.
  const withFull = typeof other === "string" && other !== "" ? other : ctx.ownerBare;
  if (!prefsAllow(store.prefs(), withFull, ctx.inRoster)) return null;
  const stored = stripStanzaIds(clientCopy(message), ctx.ownerBare);
  return store.append({ withFull, direction: ctx.direction, stanza: stored.toString(), at: ctx.now });
}

/**
 * The inbound path: any stanza-id claiming to be the owner's is removed (always), the
 * message is archived when eligible, and the delivered message carries the new
 * <stanza-id by=owner id=.../>. Changes `message` in place and returns the id or null.
 */
export function archiveInbound(store: ArchiveStore, message: Element, ctx: Omit<ArchiveContext, "direction">): string | null {
  stripStanzaIds(message, ctx.ownerBare);
  const id = archiveMessage(store, message, { ...ctx, direction: "in" });
  if (id !== null) stampStanzaId(message, ctx.ownerBare, id);
  return id;
}

export interface OutboundArchived {
  id: string;
  /**
   * The message with <stanza-id by=owner/> for the user's own resources: the copy to put
   * inside sent carbons (XEP-0313 §3.5: SHOULD be included there, and MUST NOT be in the
   * message routed to the contact, which is left untouched).
   */
  forOwnResources: Element;
}

/** The outbound path: archives what the user sends; null when it is not archived. */
export function archiveOutbound(store: ArchiveStore, message: Element, ctx: Omit<ArchiveContext, "direction">): OutboundArchived | null {
  const id = archiveMessage(store, message, { ...ctx, direction: "out" });
  if (id === null) return null;
  return { id, forOwnResources: stampStanzaId(clientCopy(message), ctx.ownerBare, id) };
}
