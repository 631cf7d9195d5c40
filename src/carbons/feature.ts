// XEP-0280 on the pipeline: <enable/> and <disable/> in the owner's account (a flag of
// the session, src/storage/resource-flags.ts); sent copies in the sender's account
// (AccountEvents.messageSent, so a message sent through XEP-0356 on the user's behalf is
// copied to every enabled resource); received copies in the recipient's account, to the
// enabled resources that did not get the message under RFC 6121 (messageDelivered),
// after <private/> was read and removed (messageArriving, §9).
//
// References: XEP-0280 v1.0 §4-§9.
import type { Feature } from "../features/feature";
import type { Account } from "../im/account";
import type { AccountContext } from "../im/account-context";
import type { BoundResource } from "../im/resources-store";
import { messageToBare, messageToFull, parseMessageType } from "../im/delivery-rules";
import { iqEvent } from "../pipeline/events";
import { perStorage } from "../storage/per-storage";
import { ResourceFlags } from "../storage/resource-flags";
import { bareOf, parseJid } from "../jid/jid";
import { NS } from "../xml/namespaces";
import type { Element } from "../xml/stanza";
import { carbonRecipients, receivedCarbon, sentCarbon, stripPrivate } from "./copies";
import { isCarbonEligible } from "./eligibility";
import { handleCarbonsIq } from "./enable-iq";
import { CARBONS_FEATURES } from "./index";

const flags = perStorage((sql) => new ResourceFlags(sql, "carbons_enabled"));

/** Received messages found eligible before <private/> was removed. */
const toCopy = new WeakSet<Element>();
/** Received messages already looked at (a delivery retried after dead connections sees one again). */
const seen = new WeakSet<Element>();

function resourceOf(jid: string | undefined): string {
  return parseJid(jid ?? "")?.resource ?? "";
}

/** The resources with carbons enabled now. */
export function carbonsEnabled(account: Account): string[] {
  return flags(account.sql).active(account.resources.list()).map((r) => r.resource);
}

async function carbonsIq(ctx: AccountContext): Promise<boolean> {
  const { account } = ctx;
  const r = account.resources.get(resourceOf(ctx.stanza.attrs.from));
  const state = flags(account.sql);
  const was = r ? state.has(r) : false;
  const outcome = handleCarbonsIq(ctx.stanza, was, account.bare);
  if (r) state.set(r, outcome.enabled, account.resources.list());
  // The user's connections decide alone whether a message needs the account (src/im/sender-view.ts).
  if (outcome.enabled !== was) await account.senderViewChanged();
  ctx.reply(outcome.reply);
  return true;
}

async function deliverCopies(account: Account, enabled: BoundResource[], copies: { name: string; copy: Element }[]): Promise<void> {
  await Promise.all(copies.map(({ name, copy }) => account.toResource(enabled.find((r) => r.resource === name)!, copy.toString())));
}

/** Own resources a message to oneself reaches directly (RFC 6121 §8.5), which get no copy. */
function directOwn(account: Account, msg: Element): string[] {
  const to = parseJid(msg.attrs.to ?? account.bare);
  if (!to || to.bare !== account.bare) return [];
  const type = parseMessageType(msg.attrs.type);
  const list = account.resources.list();
  const d = to.resource ? messageToFull(type, to.resource, true, list) : messageToBare(type, true, list);
  return d.kind === "resources" ? d.resources : [];
}

async function messageSent(account: Account, own: Element, resource: string): Promise<void> {
  const enabled = flags(account.sql).active(account.resources.list());
  if (enabled.length === 0 || !isCarbonEligible(own, "sent")) return;
  const names = carbonRecipients(enabled.map((r) => ({ name: r.resource, carbons: true })), directOwn(account, own), resource || undefined);
  await deliverCopies(account, enabled, names.map((name) => ({ name, copy: sentCarbon(own, account.bare, `${account.bare}/${name}`) })));
}

async function messageArriving(account: Account, msg: Element): Promise<boolean> {
  if (seen.has(msg) || bareOf(msg.attrs.from ?? "") === account.bare) return false; // own: copied when sent
  seen.add(msg);
  if (isCarbonEligible(msg, "received")) toCopy.add(msg);
  const before = msg.children.length;
  stripPrivate(msg);
  return msg.children.length !== before;
}

async function messageDelivered(account: Account, msg: Element, direct: readonly string[]): Promise<void> {
  if (!toCopy.has(msg)) return;
  toCopy.delete(msg);
  const enabled = flags(account.sql).active(account.resources.list());
  if (enabled.length === 0) return;
  const names = carbonRecipients(enabled.map((r) => ({ name: r.resource, carbons: true })), direct);
  await deliverCopies(account, enabled, names.map((name) => ({ name, copy: receivedCarbon(msg, account.bare, `${account.bare}/${name}`) })));
}

export const carbonsFeature: Feature = {
  name: "carbons",
  register(r) {
    for (const type of ["get", "set"]) r.account(iqEvent("", type, "self", NS.carbons), carbonsIq);
    r.accountEvents({ messageSent, messageArriving, messageDelivered });
    r.disco("host", () => [...CARBONS_FEATURES]);
  },
};
