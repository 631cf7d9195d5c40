// XEP-0191 §3: the blocklist IQs. Returns the reply, the pushes for the user's resources
// that asked for the blocklist, and the JIDs whose blocking changed, so the caller can
// send unavailable presence to the newly blocked ones (§3.3) and current presence to
// the unblocked ones (§3.4).
import { type Element, errorReply, iqPayload, iqResult, newId, xml } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import { NS } from "../xml/namespaces";
import { type BlockStore, MAX_BLOCKED_JIDS } from "./block-store";

export interface BlockingIqOutcome {
  reply: Element;
  /** IQ-set pushes, one per resource that asked for the blocklist (§3.3, §3.4). */
  pushes: Element[];
  blocked: string[];
  unblocked: string[];
  /** True when this request was a blocklist get: the caller remembers that the sending resource asked. */
  requestedList: boolean;
}

export interface BlockingContext {
  ownerBare: string;
  store: BlockStore;
  /** Full JIDs of the user's resources that have retrieved the blocklist. */
  interested: readonly string[];
}

function itemJids(el: Element): string[] | "jid-malformed" {
  const out: string[] = [];
  for (const item of el.getChildren("item", NS.blocking)) {
    const jid = typeof item.attrs.jid === "string" ? parseJid(item.attrs.jid) : null;
    if (!jid) return "jid-malformed";
    if (!out.includes(jid.full)) out.push(jid.full);
  }
  return out;
}

function push(name: "block" | "unblock", jids: string[], to: string): Element {
  return xml("iq", { xmlns: NS.client, type: "set", id: newId("block"), to },
    xml(name, { xmlns: NS.blocking }, ...jids.map((jid) => xml("item", { jid }))));
}

export function handleBlockingIq(iq: Element, ctx: BlockingContext): BlockingIqOutcome {
  const none = { pushes: [], blocked: [], unblocked: [], requestedList: false };
  const payload = iqPayload(iq);
  if (!payload || payload.getNS() !== NS.blocking) return { ...none, reply: errorReply(iq, "bad-request") };
  if ((iq.attrs.from ?? "").split("/")[0] !== ctx.ownerBare) return { ...none, reply: errorReply(iq, "forbidden") };
  const op = `${iq.attrs.type} ${payload.getName()}`;
  if (op === "get blocklist") {
    const list = xml("blocklist", { xmlns: NS.blocking }, ...ctx.store.list().map((jid) => xml("item", { jid })));
    return { ...none, reply: iqResult(iq, list), requestedList: true };
  }
  if (op !== "set block" && op !== "set unblock") return { ...none, reply: errorReply(iq, "bad-request") };

  const jids = itemJids(payload);
  if (jids === "jid-malformed") return { ...none, reply: errorReply(iq, "jid-malformed") };
  if (op === "set block") {
    // §3.3: a block with no item is a bad request.
    if (jids.length === 0) return { ...none, reply: errorReply(iq, "bad-request", "a block needs at least one item") };
    const newOnes = jids.filter((j) => !ctx.store.has(j));
    if (ctx.store.count() + newOnes.length > MAX_BLOCKED_JIDS) {
      return { ...none, reply: errorReply(iq, "policy-violation", `at most ${MAX_BLOCKED_JIDS} blocked JIDs`) };
    }
    const blocked = ctx.store.add(jids);
    return { ...none, reply: iqResult(iq), blocked, pushes: ctx.interested.map((to) => push("block", jids, to)) };
  }
  // §3.4 / §3.5: unblock some, or all when there is no item.
  const unblocked = jids.length === 0 ? ctx.store.clear() : ctx.store.remove(jids);
  return { ...none, reply: iqResult(iq), unblocked, pushes: ctx.interested.map((to) => push("unblock", jids, to)) };
}
