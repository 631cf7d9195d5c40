// XEP-0355 §Disco nesting: a host's and a user's bare-JID disco#info show the managing
// entities' features for the delegated namespaces (cached in each component's mailbox
// when it connects), in place of the server's own.
import type { HostConfig } from "../config";
import type { Services } from "../pipeline/context";
import type { Element } from "../xml/stanza";
import { applyDelegatedDisco, extrasFromWire, mergeExtras, PSEUDO_NAMESPACES, type NestingKind } from "./rules";

/** Merges the managing entities' cached answers into a disco#info <query/>. One RPC per delegating component. */
export async function withDelegatedDisco(services: Services, host: HostConfig, kind: NestingKind, query: Element): Promise<Element> {
  const byComponent = new Map<string, string[]>();
  for (const d of Object.values(host.delegations)) {
    if (PSEUDO_NAMESPACES.includes(d.namespace)) continue;
    byComponent.set(d.jid, [...(byComponent.get(d.jid) ?? []), d.namespace]);
  }
  if (!byComponent.size) return query;
  const parts = await Promise.all(
    [...byComponent].map(async ([jid, namespaces]) => {
      try {
        return extrasFromWire(await services.ports.component(jid).discoExtras(kind, namespaces));
      } catch {
        return mergeExtras([]);
      }
    }),
  );
  const delegated = [...byComponent.values()].flat();
  return applyDelegatedDisco(query, delegated, mergeExtras(parts));
}
