// XEP-0355 admin mode as a feature: the highest-priority handler on every namespace a
// host delegates (at the host, and at users' bare JIDs), so a delegated IQ reaches the
// managing component before any of the server's own handlers. The component's mailbox
// keeps the pending requests and validates the answers (./mailbox-events.ts); disco
// answers merge the components' features (./disco-nesting.ts).
//
// References: XEP-0355 v0.5 §Stanza forwarding, §Business rules 5, §Disco nesting.
import type { Feature } from "../features/feature";
import { PRIORITY } from "../features/feature";
import type { RouteContext } from "../pipeline/context";
import { iqEvent } from "../pipeline/events";
import { answer } from "../pipeline/answer";
import { NS } from "../xml/namespaces";
import { errorReply } from "../xml/stanza";
import { withDelegatedDisco } from "./disco-nesting";
import { forwardTo } from "./forward";
import { delegationAlarm, delegationMailboxEvents } from "./mailbox-events";
import { BARE_DISCO_INFO, BARE_DISCO_ITEMS, DELEGATION_NS, PSEUDO_NAMESPACES, effectiveTo, findDelegation, isForbidden } from "./rules";

async function delegate(ctx: RouteContext): Promise<boolean> {
  const host = ctx.host;
  if (!host || ctx.dest.kind === "component" || ctx.dest.kind === "remote") return false;
  const target = ctx.kind === "host" ? "host" : "bare";
  const match = findDelegation(host, ctx.stanza, target, ctx.stanza.attrs.from);
  if (!match) return false;
  const to = effectiveTo(ctx.stanza, target, host.domain, ctx.dest.kind === "account" ? ctx.dest.bare : null);
  if (isForbidden(match)) return answer(ctx, errorReply(ctx.stanza, "forbidden", "urn:xmpp:delegation:2 cannot be delegated", to));
  return answer(ctx, ...(await forwardTo(ctx.services, match.jid, host, ctx.stanza, to)));
}

export const delegationFeature: Feature = {
  name: "delegation",
  register(r) {
    const configured = new Set(Object.values(r.config.hosts).flatMap((h) => Object.keys(h.delegations)));
    // §Business rules 5: urn:xmpp:delegation:2 itself is never delegated (answered forbidden).
    for (const ns of [DELEGATION_NS, ...[...configured].filter((n) => !PSEUDO_NAMESPACES.includes(n))]) {
      for (const type of ["get", "set"]) {
        for (const kind of ["host", "self", "bare"] as const) r.route(iqEvent("pre-", type, kind, ns), delegate, PRIORITY.delegation);
      }
    }
    // §Remaining disco info / §Bare JID disco items: the pseudo-namespaces of bare-JID disco.
    for (const [pseudo, ns] of [[BARE_DISCO_INFO, NS.discoInfo], [BARE_DISCO_ITEMS, NS.discoItems]] as const) {
      if (!configured.has(pseudo)) continue;
      for (const kind of ["self", "bare"] as const) r.route(iqEvent("pre-", "get", kind, ns, "query"), delegate, PRIORITY.delegation);
    }
    r.componentEvents(delegationMailboxEvents);
    r.componentAlarm(delegationAlarm);
    r.disco("host", (host) => (Object.keys(host.delegations).length > 0 ? [NS.delegation] : []));
    r.discoExtension("host", (host, query, services) => withDelegatedDisco(services, host, "host", query));
    r.discoExtension("account", (host, query, services) => withDelegatedDisco(services, host, "bare", query));
  },
};
