// Answering a XEP-0313 query: the result messages in order, then the IQ result with
// <fin/> (§4.2, §4.3). Everything returned is sent by the caller in that order.
import { type Element, errorReply, iqResult, newId, xml } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { forwarded } from "../xml/forwarded";
import { NS } from "../xml/namespaces";
import type { ArchiveFilter, ArchiveStore, ArchivedMessage } from "./archive-store";
import { formatDateTime } from "./datetime";
import { type MamQuery, parseMamQuery } from "./query-form";

/** <message to=querier><result queryid id><forwarded><delay/>original</forwarded></result></message> */
export function resultMessage(entry: ArchivedMessage, ownerBare: string, to: string, queryid?: string): Element {
  const attrs: Record<string, string> = { xmlns: NS.mam, id: entry.id };
  if (queryid !== undefined) attrs.queryid = queryid;
  return xml("message", { xmlns: NS.client, from: ownerBare, to, id: newId("mam") },
    xml("result", attrs, forwarded(parseTrusted(entry.stanza), formatDateTime(entry.at))));
}

/** Resolves the ids the query names into positions; null when one is not in the archive. */
function resolveFilter(q: MamQuery, store: ArchiveStore, ownerBare: string): ArchiveFilter | null {
  const f: ArchiveFilter = {};
  if (q.with) {
    if (q.with.bare) f.withBare = q.with.jid;
    else f.withFull = q.with.jid;
    // 'with' = the account itself: only messages to oneself, which are stored with
    // the owner as the other party (§4.1.1).
    if (q.with.bare && q.with.jid === ownerBare) f.withBare = ownerBare;
  }
  if (q.start !== undefined) f.start = q.start;
  if (q.end !== undefined) f.end = q.end;
  if (q.afterId !== undefined) {
    const s = store.seqOf(q.afterId);
    if (s === null) return null;
    f.afterSeq = s;
  }
  if (q.beforeId !== undefined) {
    const s = store.seqOf(q.beforeId);
    if (s === null) return null;
    f.beforeSeq = s;
  }
  if (q.ids !== undefined) {
    if (q.ids.some((id) => store.seqOf(id) === null)) return null;
    f.ids = q.ids;
  }
  return f;
}

/**
 * Runs a query IQ (type set) against `store`, the archive of `ownerBare`. Only the owner
 * may query it (§9.1: forbidden otherwise).
 */
export function runMamQuery(iq: Element, query: Element, ownerBare: string, store: ArchiveStore): Element[] {
  const from = iq.attrs.from ?? "";
  if (from.split("/")[0] !== ownerBare) return [errorReply(iq, "forbidden")];
  const q = parseMamQuery(query);
  if ("condition" in q) return [errorReply(iq, q.condition, q.text)];
  const filter = resolveFilter(q, store, ownerBare);
  if (!filter) return [errorReply(iq, "item-not-found", "no such id in the archive")];

  const backward = q.before !== undefined;
  const cursorId = backward ? q.before : q.after;
  let cursor: number | undefined;
  if (cursorId) {
    const s = store.seqOf(cursorId);
    if (s === null) return [errorReply(iq, "item-not-found", "no such id in the archive")];
    cursor = s;
  }
  const rows = store.page(filter, q.max + 1, backward, cursor);
  const more = rows.length > q.max;
  const page = more ? (backward ? rows.slice(rows.length - q.max) : rows.slice(0, q.max)) : rows;

  const set = xml("set", { xmlns: NS.rsm });
  if (page.length > 0) {
    const index = store.countMatching(filter, page[0]!.seq);
    set.cnode(xml("first", { index: String(index) }, page[0]!.id));
    set.cnode(xml("last", {}, page[page.length - 1]!.id));
  }
  set.cnode(xml("count", {}, String(store.countMatching(filter))));
  const fin = xml("fin", more ? { xmlns: NS.mam } : { xmlns: NS.mam, complete: "true" }, set);

  const ordered = q.flip ? [...page].reverse() : page;
  const results = ordered.map((e) => resultMessage(e, ownerBare, from, q.queryid));
  return [...results, iqResult(iq, fin)];
}

/** The query form (§4.1.5), for an IQ get: every field this archive understands. */
export function queryForm(iq: Element): Element {
  const field = (v: string, type: string) => xml("field", { var: v, type });
  const ids = field("ids", "list-multi");
  ids.cnode(xml("validate", { xmlns: "http://jabber.org/protocol/xdata-validate", datatype: "xs:string" }, xml("open", {})));
  const form = xml("x", { xmlns: NS.dataForms, type: "form" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.mam)),
    field("with", "jid-single"), field("start", "text-single"), field("end", "text-single"),
    field("before-id", "text-single"), field("after-id", "text-single"), ids);
  return iqResult(iq, xml("query", { xmlns: NS.mam }, form));
}

/** Archive metadata (§5): the first and last entries, or an empty element. */
export function metadata(iq: Element, store: ArchiveStore): Element {
  const el = xml("metadata", { xmlns: NS.mam });
  const b = store.bounds();
  if (b) {
    el.cnode(xml("start", { id: b.first.id, timestamp: formatDateTime(b.first.at) }));
    el.cnode(xml("end", { id: b.last.id, timestamp: formatDateTime(b.last.at) }));
  }
  return iqResult(iq, el);
}
