// XEP-0313 on the pipeline: the owner's archive IQs in their account; messages archived
// once per owner, as they arise: what the user sends in the sender's account
// (AccountEvents.messageSent, with the id stamped on the copy their other resources get
// as a sent carbon), what the user receives in theirs just before delivery
// (messageArriving, with <stanza-id by=owner/> on the delivered message, XEP-0359). A
// message to oneself is archived once, as sent. Queries that carry `node` are left to a
// delegated component (XEP-0355 runs first and its filtering passes the others here).
//
// References: XEP-0313 v1.1 §4, §5, §7.1.1; XEP-0359 §3, §5; XEP-0441.
import type { GatewayConfig } from "../config";
import type { Feature } from "../features/feature";
import type { Account } from "../im/account";
import type { AccountContext } from "../im/account-context";
import { iqEvent } from "../pipeline/events";
import { perStorage } from "../storage/per-storage";
import { bareOf } from "../jid/jid";
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";
import { ArchiveStore, DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from "./archive-store";
import { archiveInbound, archiveMessage } from "./archive";
import { handleMamIq } from "./iq";
import { stampStanzaId } from "./stanza-id";
import { MAM_FEATURES } from "./index";

export function archiveLimits(config: GatewayConfig): ArchiveLimits {
  return { ...DEFAULT_ARCHIVE_LIMITS, retentionDays: config.archive.retentionDays, maxMessages: config.archive.maxMessages };
}

const holders = perStorage((): { store: ArchiveStore | null } => ({ store: null }));

export function archiveOf(account: Account): ArchiveStore {
  const h = holders(account.sql);
  h.store ??= new ArchiveStore(account.sql, archiveLimits(account.config));
  return h.store;
}

/** Messages already archived (a delivery retried after dead connections sees it again). */
const archived = new WeakSet<Element>();

function context(account: Account) {
  return { ownerBare: account.bare, now: Date.now(), inRoster: (bare: string) => account.roster.get(bare)?.state.inRoster ?? false };
}

async function messageSent(account: Account, own: Element): Promise<void> {
  const id = archiveMessage(archiveOf(account), own, { ...context(account), direction: "out" });
  if (id !== null) stampStanzaId(own, account.bare, id);
}

async function messageArriving(account: Account, msg: Element): Promise<boolean> {
  if (archived.has(msg) || bareOf(msg.attrs.from ?? "") === account.bare) return false;
  archived.add(msg);
  const before = msg.children.length;
  const id = archiveInbound(archiveOf(account), msg, context(account));
  return id !== null || msg.children.length !== before;
}

function mamIq(ctx: AccountContext): boolean {
  const store = archiveOf(ctx.account);
  store.expire(Date.now());
  for (const s of handleMamIq(ctx.stanza, ctx.account.bare, store)) ctx.reply(s);
  return true;
}

function withFeatures(query: Element, features: readonly string[]): Element {
  const present = new Set(query.getChildren("feature").map((f) => f.attrs.var));
  for (const f of features) if (!present.has(f)) query.cnode(xml("feature", { var: f }));
  return query;
}

export const mamFeature: Feature = {
  name: "mam",
  register(r) {
    for (const type of ["get", "set"]) r.account(iqEvent("", type, "self", NS.mam), mamIq);
    r.accountEvents({ messageSent, messageArriving });
    r.accountDeleted(async (account) => archiveOf(account).deleteAll());
    r.disco("account", () => [...MAM_FEATURES]);
    // A delegation of urn:xmpp:mam:2 replaces the server's features with the component's
    // (XEP-0355 disco nesting); with filtering the archive still answers the other
    // queries, so its features go back in after that merge (this feature comes after
    // delegation in FEATURES).
    r.discoExtension("account", async (_host, query) => withFeatures(query, MAM_FEATURES));
  },
};
