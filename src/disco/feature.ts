// The server's own IQs: XEP-0030 service discovery of a host and of an account's bare
// JID, XEP-0199 ping, XEP-0092 software version. What disco#info lists is what the
// features registered (Registry.disco), merged by their extensions (XEP-0355 nesting).
//
// References: XEP-0030 §3.1, §4.1, §8 (do not reveal an account to strangers);
// XEP-0199 §4; XEP-0092; RFC 6120 §8.3.3.7 (item-not-found for unknown nodes).
import type { Feature } from "../features/feature";
import type { RouteContext } from "../pipeline/context";
import { iqEvent } from "../pipeline/events";
import { answer } from "../pipeline/answer";
import type { AccountContext } from "../im/account-context";
import { sendsPresenceTo } from "../im/subscription";
import { NS } from "../xml/namespaces";
import { errorReply, iqResult, xml } from "../xml/stanza";
import { SERVER_FEATURES, hostDiscoInfo, hostDiscoItems, versionQuery } from "./host-disco";
import { accountDiscoInfo } from "./account-disco";

async function hostInfo(ctx: RouteContext): Promise<boolean> {
  const host = ctx.host!;
  if (ctx.payload!.attrs.node) return answer(ctx, errorReply(ctx.stanza, "item-not-found", undefined, host.domain));
  const { disco } = ctx.services;
  const info = hostDiscoInfo([...SERVER_FEATURES, ...disco.features("host", host)]);
  ctx.reply(iqResult(ctx.stanza, await disco.extend("host", host, info, ctx.services), host.domain));
  return true;
}

function hostItems(ctx: RouteContext): boolean {
  const host = ctx.host!;
  if (ctx.payload!.attrs.node) ctx.reply(errorReply(ctx.stanza, "item-not-found", undefined, host.domain));
  else ctx.reply(iqResult(ctx.stanza, hostDiscoItems(ctx.services.config, host), host.domain));
  return true;
}

/** XEP-0030 §8: an account is shown to its owner and to contacts subscribed to its presence. */
function mayDiscover(ctx: AccountContext): boolean {
  return ctx.kind === "self" || sendsPresenceTo(ctx.account.roster.get(ctx.fromBare)?.state.subscription ?? "none");
}

async function accountInfo(ctx: AccountContext): Promise<boolean> {
  const { account } = ctx;
  if (!mayDiscover(ctx)) return false; // the unhandled answer: service-unavailable, as for a missing account
  if (ctx.payload!.attrs.node) {
    ctx.reply(errorReply(ctx.stanza, "item-not-found", undefined, account.bare));
    return true;
  }
  const { disco } = ctx.services;
  const info = accountDiscoInfo(disco.features("account", account.host));
  ctx.reply(iqResult(ctx.stanza, await disco.extend("account", account.host, info, ctx.services), account.bare));
  return true;
}

function accountItems(ctx: AccountContext): boolean {
  if (!mayDiscover(ctx)) return false;
  const bare = ctx.account.bare;
  if (ctx.payload!.attrs.node) ctx.reply(errorReply(ctx.stanza, "item-not-found", undefined, bare));
  else ctx.reply(iqResult(ctx.stanza, xml("query", { xmlns: NS.discoItems }), bare));
  return true;
}

export const discoFeature: Feature = {
  name: "disco",
  register(r) {
    r.route(iqEvent("pre-", "get", "host", NS.discoInfo, "query"), hostInfo);
    r.route(iqEvent("pre-", "get", "host", NS.discoItems, "query"), hostItems);
    r.route(iqEvent("pre-", "get", "host", NS.ping, "ping"), (ctx) => answer(ctx, iqResult(ctx.stanza, undefined, ctx.host!.domain)));
    r.route(iqEvent("pre-", "get", "host", NS.version, "query"), (ctx) => answer(ctx, iqResult(ctx.stanza, versionQuery(), ctx.host!.domain)));
    for (const kind of ["self", "bare"] as const) {
      r.account(iqEvent("", "get", kind, NS.discoInfo, "query"), accountInfo);
      r.account(iqEvent("", "get", kind, NS.discoItems, "query"), accountItems);
    }
    r.account(iqEvent("", "get", "self", NS.ping, "ping"), (ctx) => answer(ctx, iqResult(ctx.stanza, undefined, ctx.account.bare)));
  },
};
