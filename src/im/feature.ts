// RFC 6121 as a feature: what reaches an account (messages, presences, IQs to its
// resources, the owner's roster requests), what a client's presence does at its
// origin (broadcast and subscriptions go through the user's own account), and the
// legacy session IQ. A JID without an account gets RFC 6121 §8.5.1's answers.
//
// References: RFC 6121 §2 (roster), §3 (subscriptions), §4 (presence), §8.5 (delivery);
// RFC 6120 §8.5.3 (IQ to a full JID); draft-cridland-xmpp-session §2.
import type { Feature } from "../features/feature";
import { PRIORITY } from "../features/feature";
import type { RouteContext } from "../pipeline/context";
import { iqEvent } from "../pipeline/events";
import { answer } from "../pipeline/answer";
import { NS } from "../xml/namespaces";
import { errorReply, iqResult, isResponse } from "../xml/stanza";
import type { Account } from "./account";
import type { AccountContext } from "./account-context";
import { noAccountReply } from "./no-account";
import { handleRosterIq } from "./roster-iq";
import { SUBSCRIPTION_TYPES } from "./subscription";
import { presenceStraight } from "./presence-straight";

/** RFC 6121 §8.5.1: a JID nobody registered. Answered without touching storage. */
function missingAccount(ctx: AccountContext): boolean {
  if (ctx.exists) return false;
  return answer(ctx, ...noAccountReply(ctx.stanza, ctx.to.resource));
}

/**
 * A client's presence at its origin. Broadcast (no `to`) and subscription requests go
 * through the user's own account (RFC 6121 §4.2, §3); directed presence is remembered
 * there (§4.6) and then routed as usual; presence to a host is dropped.
 */
async function clientPresence(ctx: RouteContext): Promise<boolean> {
  const { origin, stanza, services } = ctx;
  if (origin.kind !== "client") return false;
  const type = ctx.type;
  const account = services.ports.account(origin.bare);
  if (!ctx.to) {
    if (type === undefined || type === "unavailable") return answer(ctx, ...await account.fromResource(origin.resource, stanza.toString()));
    if (type !== "error" && !isResponse(stanza)) ctx.reply(errorReply(stanza, "bad-request", "this presence needs a 'to'", origin.host));
    return true;
  }
  if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) {
    // RFC 6121 §3: subscription requests are addressed to bare JIDs and go through the user's roster.
    stanza.attrs.to = ctx.to.bare;
    return answer(ctx, ...await account.fromResource(origin.resource, stanza.toString()));
  }
  if (ctx.dest.kind === "host") return true;
  if (type === undefined || type === "unavailable") {
    // RFC 6121 §4.6: directed presence; remembered so that going offline reaches it too.
    services.waitUntil(account.fromResource(origin.resource, stanza.toString()));
  }
  return false;
}

/**
 * An account is deleted: every contact is told as by a roster removal (RFC 6121 §2.5.2,
 * §3.2, §3.3: unsubscribe, unsubscribed, unavailable), so a re-created account of the same
 * name inherits no subscription and no presence feed. Best effort per contact.
 */
async function forgetContacts(account: Account): Promise<void> {
  for (const item of account.roster.all()) {
    try {
      await account.removeContact(item);
    } catch (e) {
      console.error(JSON.stringify({ event: "account-deletion-contact-failed", account: account.bare, contact: item.jid, error: String(e) }));
    }
  }
}

/** draft-cridland-xmpp-session §2: the legacy session IQ (offered as optional) is a no-op. */
function sessionIq(ctx: RouteContext): boolean {
  if (ctx.origin.kind !== "client") return false;
  ctx.reply(iqResult(ctx.stanza, undefined, ctx.origin.host));
  return true;
}

export const imFeature: Feature = {
  name: "im",
  register(r) {
    for (const kind of ["self", "bare", "full", "host", "component", "remote"] as const) r.route(`pre-presence/${kind}`, clientPresence, PRIORITY.handler);
    // A broadcast to a contact's bare JID: straight to its available connections (./presence-straight.ts).
    r.route("pre-presence/bare", presenceStraight, PRIORITY.delivery + 1);
    r.route(iqEvent("pre-", "set", "self", NS.session, "session"), sessionIq, PRIORITY.guard - 1);
    r.route(iqEvent("pre-", "set", "host", NS.session, "session"), sessionIq, PRIORITY.guard - 1);

    r.account("*", missingAccount, PRIORITY.guard - 50);
    for (const kind of ["self", "bare", "full"] as const) {
      r.account(`message/${kind}`, (ctx) => ctx.account.receiveMessage(ctx.stanza, ctx.to.resource, ctx.raw).then((s) => answer(ctx, ...s)));
      r.account(`presence/${kind}`, (ctx) => ctx.account.receivePresence(ctx.stanza, ctx.to.resource).then((s) => answer(ctx, ...s)));
    }
    r.account("iq/full", (ctx) => ctx.account.receiveIqForResource(ctx.stanza, ctx.to.resource, ctx.raw).then((s) => answer(ctx, ...s)));
    for (const type of ["get", "set"]) {
      r.account(iqEvent("", type, "self", NS.roster, "query"), async (ctx) => {
        const from = ctx.stanza.attrs.from ?? "";
        const resource = from.includes("/") ? from.slice(from.indexOf("/") + 1) : "";
        ctx.reply(await handleRosterIq(ctx.account, ctx.stanza, ctx.payload!, resource));
        return true;
      });
    }
    r.accountDeleted(forgetContacts);
    r.disco("host", () => ["msgoffline", NS.roster]);
  },
};
