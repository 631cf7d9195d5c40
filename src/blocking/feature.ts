// XEP-0191 Blocking Command on the pipeline: the blocklist IQs in the owner's account,
// stanzas from a blocked JID stopped in the recipient's account before anything else
// sees them, stanzas to one refused in the sender's account (AccountEvents.outboundFilter,
// which every client stanza to someone else and everything the account sends passes
// through), and presence: unavailable to newly blocked contacts, current presence again
// to unblocked ones.
//
// References: XEP-0191 v1.3 §3.2-§3.5, §5.
import type { Feature } from "../features/feature";
import { PRIORITY } from "../features/feature";
import type { Account } from "../im/account";
import type { AccountContext } from "../im/account-context";
import { sendsPresenceTo } from "../im/subscription";
import { iqEvent } from "../pipeline/events";
import { route } from "../pipeline/route";
import { parseTrusted } from "../xml/frame-parser";
import { NS } from "../xml/namespaces";
import { xml } from "../xml/stanza";
import { handleBlockingIq } from "./blocking-iq";
import { inboundFromBlocked, outboundToBlocked } from "./enforcement";
import { isBlocked } from "./matching";
import { blockState } from "./state";
import { BLOCKING_FEATURES } from "./index";

/** Stanzas from a blocked JID (§3.3): stopped here, after the missing-account check. */
function fromBlocked(ctx: AccountContext): boolean {
  const from = ctx.stanza.attrs.from;
  if (ctx.kind === "self" || ctx.fromBare === ctx.account.bare || !from) return false;
  if (!blockState(ctx.account).blocks(from)) return false;
  const action = inboundFromBlocked(ctx.stanza);
  if (action.action === "reply") ctx.reply(action.stanza);
  return true;
}

async function outboundFilter(account: Account, stanza: ReturnType<typeof parseTrusted>): Promise<string[] | null> {
  const to = stanza.attrs.to;
  if (!to || !blockState(account).blocks(to)) return null;
  const action = outboundToBlocked(stanza);
  return action.action === "reply" ? [action.stanza.toString()] : [];
}

/** Subscribed contacts matched by `items` (bare JIDs from the roster). */
function contactsMatching(account: Account, items: readonly string[]): string[] {
  if (items.length === 0) return [];
  return account.roster.contacts(sendsPresenceTo).filter((c) => isBlocked(items, c));
}

/** §3.3: the user's unavailable presence from every available resource, around the blocklist. */
async function unavailableTo(account: Account, contacts: string[]): Promise<void> {
  const origin = { kind: "account" as const, bare: account.bare, receive: account.receiveLocal };
  for (const contact of contacts) {
    for (const r of account.available()) {
      await route(account.services, origin, xml("presence", { xmlns: NS.client, type: "unavailable", from: `${account.bare}/${r.resource}`, to: contact }));
    }
  }
}

/** §3.4: current presence to contacts no longer blocked (through the filter: still-blocked ones stay out). */
async function presenceTo(account: Account, contacts: string[]): Promise<void> {
  for (const contact of contacts) await account.currentPresenceTo(contact);
}

async function blockingIq(ctx: AccountContext): Promise<boolean> {
  const { account } = ctx;
  const state = blockState(account);
  const bound = account.resources.list();
  const interested = state.interested.active(bound);
  const outcome = handleBlockingIq(ctx.stanza, { ownerBare: account.bare, store: state.store, interested: interested.map((r) => `${account.bare}/${r.resource}`) });
  const from = ctx.stanza.attrs.from ?? "";
  const sender = account.resources.get(from.slice(from.indexOf("/") + 1));
  if (outcome.requestedList && from.includes("/") && sender) state.interested.set(sender, true, bound);
  const wasBlocked = contactsMatching(account, outcome.unblocked);
  state.changed();
  // The user's connections decide alone while nothing changes (src/im/sender-view.ts): tell them.
  if (outcome.blocked.length || outcome.unblocked.length) {
    await account.senderViewChanged();
  }
  ctx.reply(outcome.reply);
  await Promise.all(outcome.pushes.map((push, i) => account.toResource(interested[i]!, push.toString())));
  await unavailableTo(account, contactsMatching(account, outcome.blocked));
  await presenceTo(account, wasBlocked.filter((c) => !state.blocks(c)));
  return true;
}

export const blockingFeature: Feature = {
  name: "blocking",
  register(r) {
    r.account("*", fromBlocked, PRIORITY.guard - 60);
    for (const type of ["get", "set"]) r.account(iqEvent("", type, "self", NS.blocking), blockingIq);
    r.accountEvents({ outboundFilter });
    r.accountDeleted(async (account) => void blockState(account).store.clear());
    r.disco("host", () => [...BLOCKING_FEATURES]);
  },
};
