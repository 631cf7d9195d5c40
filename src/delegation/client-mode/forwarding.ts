// XEP-0355 §Client mode forwarding: (a) an IQ to the host from a user, on a namespace
// that user delegated, goes to the user's manager; (b) an IQ request to the user's bare
// JID (or without `to`) on a delegated namespace, from anyone but the manager, too.
// Only namespaces the host allows (hosts.H.client_delegation) are ever forwarded.
import type { HostConfig } from "../../config";
import type { Services } from "../../pipeline/context";
import { bareOf, domainOf } from "../../jid/jid";
import type { Element } from "../../xml/stanza";
import { payloadNamespace } from "../../pipeline/events";
import { forwardTo } from "../forward";
import { clientModeAllows } from "./policy";
import { localUser } from "./requests";
import type { ClientGrantStore } from "./store";

/** (a): the manager `iq` (to the host) goes to, or null. */
export async function clientManagerForHostIq(services: Services, host: HostConfig, iq: Element, payload: Element): Promise<string | null> {
  const user = localUser(host, iq.attrs.from);
  const ns = payloadNamespace(payload);
  if (!user || !clientModeAllows(host, ns)) return null;
  return (await services.ports.account(user).clientDelegation({ op: "lookup", namespace: ns })).manager;
}

/** (b), run by the account itself: the answer for the sender, or null when not delegated. */
export async function clientModeForward(services: Services, host: HostConfig, bare: string, store: ClientGrantStore, iq: Element, payload: Element): Promise<string[] | null> {
  const ns = payloadNamespace(payload);
  if (!clientModeAllows(host, ns)) return null;
  const manager = store.managerFor(ns);
  if (!manager) return null;
  const from = iq.attrs.from ?? "";
  if (bareOf(from) === manager || domainOf(from) === manager) return null;
  return forwardTo(services, manager, host, iq, bare);
}
