// What a user sends passes through their own account: the account may refuse it
// (XEP-0191: a blocked recipient) and acts on the messages it lets go (XEP-0313 outgoing
// archive, XEP-0280 sent carbons), through AccountEvents.outboundFilter and messageSent.
// A client's connection knows its account's blocklist and carbons (./sender-view.ts), so
// only a stanza the account would refuse waits for it; a message it lets go is handed to
// the account after it left when the account archives or copies it (no answer is
// needed), and IQs, presences and messages it would not act on do not involve it at all.
// A message a privileged component sends on a user's behalf (XEP-0356 §4.3,
// `message=outgoing`: routed from the server with the user's bare JID as `from`) counts
// as sent by the user and passes through the account first.
//
// Messages to an account then go through that account's object (blocklist, archive,
// received carbons), except a user's message to a full JID that the account would only
// pass on (not archivable, nothing for carbons to strip): that one goes straight to the
// recipient's connection once the route is known (src/routing/direct.ts), which checks
// the blocklist and carbons itself (./sender-view.ts) or sends it back this way.
import type { Feature } from "../features/feature";
import { PRIORITY } from "../features/feature";
import type { RouteContext } from "../pipeline/context";
import { answer } from "../pipeline/answer";
import { accountActsOn, directMessage, sendsBlocked } from "./sender-view";
import { deliverDirect, learnRoute } from "../routing/direct";

/** After the guards, before delegation and every handler that acts on a stanza. */
const OUTGOING_PRIORITY = PRIORITY.guard - 10;

/** The local user a stanza is sent by, and the resource ("" on the user's behalf). */
function senderOf(ctx: RouteContext): { bare: string; resource: string } | null {
  const { origin, from } = ctx;
  if (origin.kind === "client") return { bare: origin.bare, resource: origin.resource };
  if (origin.kind === "server" && ctx.name === "message" && from.local && !from.resource && ctx.services.config.hosts[from.domain]) {
    return { bare: from.bare, resource: "" };
  }
  return null;
}

async function throughSenderAccount(ctx: RouteContext): Promise<boolean> {
  const sender = senderOf(ctx);
  if (!sender) return false;
  const { ports } = ctx.services;
  const account = ports.account(sender.bare);
  // A client's stanza that its account would let through does not wait for the account:
  // a message is archived and carbon-copied there after it left (no answer is needed),
  // an IQ or a presence does not involve the sender's account at all.
  if (ctx.origin.kind === "client" && !(await sendsBlocked(ports, sender.bare, ctx.stanza.attrs.to ?? ""))) {
    if (ctx.name === "message" && (await accountActsOn(ports, sender.bare, sender.resource, ctx.stanza))) {
      ctx.services.waitUntil(account.outgoing(sender.resource, ctx.stanza.toString()));
    }
    return false;
  }
  const refused = await account.outgoing(sender.resource, ctx.stanza.toString());
  return refused === null ? false : answer(ctx, ...refused);
}

/** A user's message to a full JID that the recipient's account would only pass on:
 *  straight to the recipient's connection when the route is known (learned after a miss). */
async function pastAccount(ctx: RouteContext): Promise<boolean> {
  const { dest, origin, services } = ctx;
  if (dest.kind !== "account" || !dest.resource || origin.kind !== "client") return false;
  const message = directMessage(ctx.stanza, origin.bare, dest.bare);
  if (!message) return false;
  if (await deliverDirect(services.ports, `${dest.bare}/${dest.resource}`, ctx.stanza.toString(), message)) return true;
  services.waitUntil(learnRoute(services.ports, dest.bare, dest.resource));
  return false;
}

/** A message to an account goes to its object (unless it may skip it, above). */
async function toAccount(ctx: RouteContext): Promise<boolean> {
  const { dest, origin, services } = ctx;
  if (dest.kind !== "account") return false;
  if (await pastAccount(ctx)) return true;
  const answers = origin.kind === "account" && origin.bare === dest.bare
    ? await origin.receive(ctx.stanza)
    : await services.ports.account(dest.bare).receive(ctx.stanza.toString());
  return answer(ctx, ...answers);
}

export const outgoingFeature: Feature = {
  name: "outgoing",
  register(r) {
    for (const kind of ["self", "bare", "full", "component", "remote"] as const) r.route(`pre-message/${kind}`, throughSenderAccount, OUTGOING_PRIORITY);
    // Broadcast presence and subscriptions reach the account anyway (Account.send filters them).
    for (const kind of ["bare", "full", "component", "remote"] as const) {
      r.route(`pre-iq/${kind}`, throughSenderAccount, OUTGOING_PRIORITY);
      r.route(`pre-presence/${kind}`, throughSenderAccount, OUTGOING_PRIORITY);
    }
    r.route("pre-message/full", toAccount, PRIORITY.delivery + 2);
  },
};
