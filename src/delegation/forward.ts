// XEP-0355 admin-mode forwarding hook, called where an IQ request arises (a client's
// session, a component's router): decides whether the IQ is delegated and, if so,
// hands it to the managing component's router, which answers the sender later.
//
// References: XEP-0355 v0.5 §Stanza forwarding (N.B. 1: managing entity unavailable →
// service-unavailable), §Business rules 5 (forbidden), §Disco nesting.
import type { Env } from "../env";
import type { GatewayConfig, HostConfig } from "../config";
import { type Element, errorReply, iqPayload } from "../xml/stanza";
import { NS } from "../xml/namespaces";
import { CONFIGURE_NODE, clientManagerForHostIq, commandItems, handleClientModeRequest, handleConfigureCommand } from "./client-mode";
import { componentStub } from "../routing/route";
import { applyDelegatedDisco, effectiveTo, findDelegation, isClientModeRequest, isForbidden, mergeExtras, namespaceOf, parseCopy, type NestingKind, type Target } from "./rules";
import { extrasFromWire } from "./component-feature";
import { PSEUDO_NAMESPACES } from "./rules";

/**
 * Returns null when the IQ is not delegated (the caller handles it as usual), or the
 * stanzas to send back to the sender right away: [] when forwarded, an error otherwise.
 * `bare` is the bare JID the IQ is addressed to (the sender's own when it has no `to`).
 */
export async function delegateIfConfigured(
  env: Env,
  config: GatewayConfig,
  host: HostConfig,
  iq: Element,
  target: Target,
  bare: string | null,
): Promise<string[] | null> {
  const to = effectiveTo(iq, target, host.domain, bare);
  if (target === "host") {
    const local = await hostLevel(env, config, host, iq);
    if (local) return local;
  }
  const m = findDelegation(host, iq, target, iq.attrs.from);
  if (!m) {
    // §Client mode forwarding (a); (b) is run by the user's account (client-mode.ts).
    const manager = target === "host" && iq.attrs.type !== "result" && iq.attrs.type !== "error" ? await clientManagerForHostIq(env, host, iq) : null;
    return manager ? forwardTo(env, manager, host, iq, to) : null;
  }
  if (isForbidden(m)) return [errorReply(iq, "forbidden", "urn:xmpp:delegation:2 cannot be delegated", to).toString()];
  return forwardTo(env, m.jid, host, iq, to);
}

async function forwardTo(env: Env, component: string, host: HostConfig, iq: Element, to: string): Promise<string[]> {
  const forwarded = parseCopy(iq);
  forwarded.attrs.to = to;
  try {
    return await componentStub(env, component).delegate(forwarded.toString(), host.domain);
  } catch (e) {
    console.log(JSON.stringify({ event: "delegation-forward-failed", component, error: String(e) }));
    return [errorReply(iq, "service-unavailable", undefined, to).toString()];
  }
}

/** Client mode at the host: the manager's request, the configure command and its disco item. */
async function hostLevel(env: Env, config: GatewayConfig, host: HostConfig, iq: Element): Promise<string[] | null> {
  if (isClientModeRequest(iq)) return handleClientModeRequest(env, config, host, iq);
  if (iq.attrs.type !== "get" && iq.attrs.type !== "set") return null;
  const payload = iqPayload(iq);
  if (!payload) return null;
  const ns = namespaceOf(payload);
  if (payload.name === "command" && ns === NS.commands && payload.attrs.node === CONFIGURE_NODE) return handleConfigureCommand(env, config, host, iq);
  if (payload.name === "query" && ns === NS.discoItems && payload.attrs.node === NS.commands && iq.attrs.type === "get") return commandItems(iq, host);
  return null;
}

/**
 * §Disco nesting: merges the managing entities' cached answers into a disco#info
 * <query/> of the host ("host") or of a user's bare JID ("bare"), hiding the server's
 * own features for the delegated namespaces. One RPC per delegating component.
 */
export async function withDelegatedDisco(env: Env, host: HostConfig, kind: NestingKind, query: Element): Promise<Element> {
  const byComponent = new Map<string, string[]>();
  for (const d of Object.values(host.delegations)) {
    if (PSEUDO_NAMESPACES.includes(d.namespace)) continue;
    byComponent.set(d.jid, [...(byComponent.get(d.jid) ?? []), d.namespace]);
  }
  // XEP-0050: the host offers the client-mode configure command (§Configuration).
  if (kind === "host" && !query.getChildren("feature").some((f) => f.attrs.var === NS.commands)) query.c("feature", { var: NS.commands });
  if (!byComponent.size) return query;
  const parts = await Promise.all(
    [...byComponent].map(async ([jid, namespaces]) => {
      try {
        return extrasFromWire(await componentStub(env, jid).discoExtras(kind, namespaces));
      } catch {
        return mergeExtras([]);
      }
    }),
  );
  const delegated = [...byComponent.values()].flat();
  return applyDelegatedDisco(query, delegated, mergeExtras(parts));
}
