// Reading a XEP-0313 <query/>: the XEP-0004 form (§4.1) and the XEP-0059 <set/> (§4.3).
import type { Element } from "../xml/stanza";
import type { StanzaErrorCondition } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import { NS } from "../xml/namespaces";
import { parseDateTime } from "./datetime";

/** Page size when the client gives no <max/> and the largest one served (Prosody's 20 and 50). */
export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 50;
/** Ids accepted in the 'ids' field; more would not fit one page anyway. */
export const MAX_IDS = MAX_PAGE;

export interface MamQuery {
  queryid?: string;
  /** 'with' as given: bare matches bare to/from, full matches exactly (§4.1.1). */
  with?: { jid: string; bare: boolean };
  start?: number;
  end?: number;
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  max: number;
  /** RSM <after/>. */
  after?: string;
  /** RSM <before/>: "" asks for the last page. */
  before?: string;
  flip: boolean;
}

export type QueryError = { condition: StanzaErrorCondition; text: string };

const KNOWN_FIELDS = ["FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids"];

function fieldValues(form: Element): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const f of form.getChildren("field", NS.dataForms)) {
    const v = f.attrs.var;
    if (typeof v !== "string") continue;
    fields.set(v, f.getChildren("value", NS.dataForms).map((x) => x.getText()));
  }
  return fields;
}

function single(fields: Map<string, string[]>, name: string): string | undefined | null {
  const v = fields.get(name);
  if (v === undefined || v.length === 0) return undefined;
  return v.length === 1 ? v[0]!.trim() : null;
}

export function parseMamQuery(query: Element): MamQuery | QueryError {
  const q: MamQuery = { max: DEFAULT_PAGE, flip: query.getChild("flip-page", NS.mam) !== undefined };
  if (typeof query.attrs.queryid === "string") q.queryid = query.attrs.queryid;
  const form = query.getChild("x", NS.dataForms);
  if (form) {
    if (form.attrs.type !== undefined && form.attrs.type !== "submit") return { condition: "bad-request", text: "the form must be of type submit" };
    const fields = fieldValues(form);
    const formType = single(fields, "FORM_TYPE");
    if (formType !== undefined && formType !== NS.mam) return { condition: "bad-request", text: `FORM_TYPE must be ${NS.mam}` };
    for (const name of fields.keys()) {
      // §4.1.5: a field the server does not recognise is answered with feature-not-implemented.
      if (!KNOWN_FIELDS.includes(name)) return { condition: "feature-not-implemented", text: `unknown field '${name}'` };
    }
    for (const name of ["with", "start", "end", "before-id", "after-id"]) {
      if (single(fields, name) === null) return { condition: "bad-request", text: `field '${name}' takes one value` };
    }
    const w = single(fields, "with");
    if (w !== undefined && w !== null) {
      const jid = parseJid(w);
      if (!jid) return { condition: "jid-malformed", text: "'with' is not a valid JID" };
      q.with = { jid: jid.full, bare: jid.resource === "" };
    }
    for (const name of ["start", "end"] as const) {
      const s = single(fields, name);
      if (s === undefined || s === null) continue;
      const t = parseDateTime(s);
      if (t === null) return { condition: "bad-request", text: `'${name}' is not a XEP-0082 DateTime` };
      q[name] = t;
    }
    const afterId = single(fields, "after-id");
    if (afterId) q.afterId = afterId;
    const beforeId = single(fields, "before-id");
    if (beforeId) q.beforeId = beforeId;
    const ids = fields.get("ids");
    if (ids !== undefined) {
      const clean = ids.map((s) => s.trim()).filter((s) => s !== "");
      if (clean.length > MAX_IDS) return { condition: "policy-violation", text: `at most ${MAX_IDS} ids per query` };
      q.ids = clean;
    }
  }
  const set = query.getChild("set", NS.rsm);
  if (set) {
    const max = set.getChild("max", NS.rsm);
    if (max) {
      const text = max.getText().trim();
      if (!/^\d+$/.test(text)) return { condition: "bad-request", text: "<max/> must be a non-negative integer" };
      q.max = Math.min(Number(text), MAX_PAGE);
    }
    const after = set.getChild("after", NS.rsm);
    const before = set.getChild("before", NS.rsm);
    if (after) {
      const a = after.getText().trim();
      if (a === "") return { condition: "bad-request", text: "<after/> must not be empty" };
      q.after = a;
    }
    if (before) q.before = before.getText().trim();
    if (after && before) return { condition: "bad-request", text: "<before/> and <after/> together are undefined; use before-id and after-id" };
  }
  return q;
}
