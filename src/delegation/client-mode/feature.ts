// XEP-0355 client mode as a feature: at the host, the managers' requests, the users'
// answers (a form in a message, or the configure command) and the command's disco
// item; forwarding of the namespaces a user delegated, (a) at the host and (b) at the
// user's bare JID; the grants withdrawn when the account is deleted.
//
// References: XEP-0355 v0.5 §Client delegation, §Client mode forwarding, §Configuration.
import type { Feature } from "../../features/feature";
import { PRIORITY } from "../../features/feature";
import type { RouteContext } from "../../pipeline/context";
import { iqEvent } from "../../pipeline/events";
import { answer } from "../../pipeline/answer";
import { NS } from "../../xml/namespaces";
import { forwardTo } from "../forward";
import { DELEGATION_NS, isClientModeRequest } from "../rules";
import { commandItems, handleConfigureCommand } from "./configure-command";
import { clientManagerForHostIq, clientModeForward } from "./forwarding";
import { CONFIGURE_NODE } from "./policy";
import { handleAnswerMessage, handleClientModeRequest, withdrawClientGrants } from "./requests";
import { grantStore, takeClientGrants } from "./store";

const FIRST = PRIORITY.delegation + 10;

async function request(ctx: RouteContext): Promise<boolean> {
  return isClientModeRequest(ctx.stanza) ? answer(ctx, await handleClientModeRequest(ctx.services, ctx.host!, ctx.stanza)) : false;
}

async function configure(ctx: RouteContext): Promise<boolean> {
  if (ctx.payload!.attrs.node !== CONFIGURE_NODE) return false;
  return answer(ctx, await handleConfigureCommand(ctx.services, ctx.host!, ctx.stanza));
}

function commandList(ctx: RouteContext): boolean {
  return ctx.payload!.attrs.node === NS.commands ? answer(ctx, commandItems(ctx.stanza, ctx.host!)) : false;
}

/** (a): a user's IQ to the host on a namespace the user delegated. */
async function atHost(ctx: RouteContext): Promise<boolean> {
  const host = ctx.host!;
  const manager = await clientManagerForHostIq(ctx.services, host, ctx.stanza, ctx.payload!);
  return manager ? answer(ctx, ...(await forwardTo(ctx.services, manager, host, ctx.stanza, ctx.stanza.attrs.to ?? host.domain))) : false;
}

export const clientModeFeature: Feature = {
  name: "client-mode",
  register(r) {
    for (const type of ["get", "set"]) {
      r.route(iqEvent("pre-", type, "host", DELEGATION_NS, "query"), request, FIRST);
      r.route(iqEvent("pre-", type, "host", NS.commands, "command"), configure, FIRST);
    }
    r.route(iqEvent("pre-", "get", "host", NS.discoItems, "query"), commandList, FIRST);
    r.route("pre-message/host", async (ctx) => handleAnswerMessage(ctx.services, ctx.host!, ctx.stanza));
    const delegable = new Set(Object.values(r.config.hosts).flatMap((h) => h.clientDelegation));
    for (const ns of delegable) {
      for (const type of ["get", "set"]) {
        r.route(iqEvent("pre-", type, "host", ns), atHost, PRIORITY.delegation - 10);
        for (const kind of ["self", "bare"] as const) {
          r.account(iqEvent("", type, kind, ns), async (ctx) => {
            if (!ctx.exists) return false;
            const { account } = ctx;
            const replies = await clientModeForward(ctx.services, account.host, account.bare, grantStore(account.sql), ctx.stanza, ctx.payload!);
            return replies ? answer(ctx, ...replies) : false;
          }, PRIORITY.delegation);
        }
      }
    }
    r.accountDeleted(async (account) => {
      const grants = takeClientGrants(account.sql);
      if (grants.length) await withdrawClientGrants(account.services, account.host, account.bare, grants);
    });
    // XEP-0050: the host offers the configure command (§Configuration).
    r.disco("host", () => [NS.commands]);
  },
};
