// XEP-0356 as a feature. At the origin: a privileged IQ not addressed to an account is
// refused (§4.4 a), a privileged message to a host is sent on the user's behalf (§4.3)
// (the component's own mailbox does both for components, counting in place). At the
// account: privileged IQs (§4.4) and their answers, privileged roster IQs (§4.2). As
// things happen in accounts: presence and roster copies (§4.2.3, §4.5). Around
// components: the advertisement and initial presences (§4.1, §7).
//
// References: XEP-0356 v0.4.1 (shared/xep0356.md).
import type { Feature } from "../features/feature";
import { PRIORITY } from "../features/feature";
import type { RouteContext } from "../pipeline/context";
import { iqEvent } from "../pipeline/events";
import { answer } from "../pipeline/answer";
import { NS } from "../xml/namespaces";
import { privilegeAccountEvents, privilegedRosterIq, setOnline } from "./account-hooks";
import { privilegeMailboxEvents } from "./mailbox-events";
import { handlePrivilegedIq, privilegedIqAnswer, privilegedIqTimeouts } from "./privileged-iq";
import { handlePrivilegedMessage, isPrivilegedMessageToHost } from "./privileged-message";
import { refuseMisaddressedIq } from "./misaddressed";

async function misaddressed(ctx: RouteContext): Promise<boolean> {
  if (ctx.origin.kind !== "client") return false;
  const refused = await refuseMisaddressedIq(ctx.services, ctx.stanza, ctx.origin.host);
  return refused ? answer(ctx, ...refused) : false;
}

async function privilegedMessage(ctx: RouteContext): Promise<boolean> {
  if (ctx.origin.kind !== "client" || !isPrivilegedMessageToHost(ctx.services.config, ctx.stanza)) return false;
  return answer(ctx, ...(await handlePrivilegedMessage(ctx.services, ctx.stanza)));
}

export const privilegeFeature: Feature = {
  name: "privilege",
  register(r) {
    for (const type of ["get", "set"]) {
      for (const kind of ["host", "self", "component", "remote"] as const) {
        r.route(iqEvent("pre-", type, kind, NS.privilege, "privileged_iq"), misaddressed, PRIORITY.guard);
      }
      for (const kind of ["self", "bare", "full"] as const) {
        r.account(iqEvent("", type, kind, NS.privilege, "privileged_iq"), async (ctx) => {
          const replies = await handlePrivilegedIq(ctx.account, ctx.stanza, ctx.to.resource, ctx.exists);
          return replies ? answer(ctx, ...replies) : false;
        }, PRIORITY.guard);
      }
      r.account(iqEvent("", type, "bare", NS.roster, "query"), async (ctx) => {
        const reply = ctx.exists ? await privilegedRosterIq(ctx.account, ctx.stanza, ctx.payload!) : null;
        return reply ? answer(ctx, reply) : false;
      });
    }
    for (const type of ["result", "error"]) {
      for (const kind of ["self", "bare"] as const) {
        r.account(`iq-${type}/${kind}`, async (ctx) => answer(ctx, ...(await privilegedIqAnswer(ctx.account, ctx.stanza))));
      }
    }
    r.route("pre-message/host", privilegedMessage, PRIORITY.delegation);
    r.accountEvents(privilegeAccountEvents);
    r.accountAlarm(privilegedIqTimeouts);
    r.componentEvents(privilegeMailboxEvents);
    // The account leaves the host's directory whatever the grants (it may predate them).
    r.accountDeleted((account) => setOnline(account.services.ports, account.host.domain, account.bare, false));
    r.disco("host", (host) => (Object.keys(host.privileged).length > 0 ? [NS.privilege] : []));
  },
};
