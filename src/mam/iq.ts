// The urn:xmpp:mam:2 IQs a user sends to their own archive: query (set), query form
// (get), metadata (get), prefs (get, set).
import { type Element, errorReply, iqPayload, iqResult } from "../xml/stanza";
import { NS } from "../xml/namespaces";
import type { ArchiveStore } from "./archive-store";
import { parsePrefs, prefsElement } from "./prefs";
import { metadata, queryForm, runMamQuery } from "./query";

/**
 * Is this a query for a pubsub node's archive (XEP-0313 reserves the 'node' attribute,
 * XEP-0442)? Those are not the user's archive: with a delegation of urn:xmpp:mam:2 they
 * go to the component, otherwise they are refused (handleMamIq answers
 * feature-not-implemented).
 */
export function isNodeQuery(iq: Element): boolean {
  const payload = iqPayload(iq);
  return payload !== null && payload.getNS() === NS.mam && payload.getName() === "query" && payload.attrs.node !== undefined;
}

/**
 * Answers a urn:xmpp:mam:2 IQ to the archive of `ownerBare`. Returns the stanzas to send
 * in order: for a query, the result messages and then the IQ result.
 */
export function handleMamIq(iq: Element, ownerBare: string, store: ArchiveStore): Element[] {
  const payload = iqPayload(iq);
  if (!payload || payload.getNS() !== NS.mam) return [errorReply(iq, "bad-request")];
  if ((iq.attrs.from ?? "").split("/")[0] !== ownerBare) return [errorReply(iq, "forbidden")];
  const type = iq.attrs.type;
  if (isNodeQuery(iq)) return [errorReply(iq, "feature-not-implemented", "this archive has no nodes")];
  switch (payload.getName()) {
    case "query":
      if (type === "set") return runMamQuery(iq, payload, ownerBare, store);
      if (type === "get") return [queryForm(iq)];
      break;
    case "metadata":
      if (type === "get") return [metadata(iq, store)];
      break;
    case "prefs":
      if (type === "get") return [iqResult(iq, prefsElement(store.prefs()))];
      if (type === "set") {
        const prefs = parsePrefs(payload);
        if (typeof prefs === "string") return [errorReply(iq, prefs)];
        store.setPrefs(prefs);
        // XEP-0441 §2.1: the result carries the preferences now in effect.
        return [iqResult(iq, prefsElement(prefs))];
      }
      break;
  }
  return [errorReply(iq, type === "get" || type === "set" ? "feature-not-implemented" : "bad-request")];
}
