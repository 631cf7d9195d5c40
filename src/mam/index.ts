// XEP-0313 Message Archive Management (with XEP-0059 paging and XEP-0359 stanza ids).
export { ArchiveStore, DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits, type ArchivedMessage, type Direction } from "./archive-store";
export { archiveInbound, archiveMessage, archiveOutbound, type ArchiveContext, type OutboundArchived } from "./archive";
export { isArchivable } from "./eligibility";
export { handleMamIq, isNodeQuery } from "./iq";
export { DEFAULT_PAGE, MAX_PAGE, parseMamQuery, type MamQuery } from "./query-form";
export { DEFAULT_PREFS, prefsAllow, type MamPrefs } from "./prefs";
export { stampStanzaId, stripStanzaIds } from "./stanza-id";

/** Features of a user's bare JID (XEP-0313 §8, XEP-0359 §4). */
export const MAM_FEATURES = ["urn:xmpp:mam:2", "urn:xmpp:mam:2#extended", "urn:xmpp:sid:0"] as const;
