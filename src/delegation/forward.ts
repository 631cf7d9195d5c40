// Hands a delegated IQ request to the managing component's mailbox, which forwards it
// wrapped (XEP-0355 §Stanza forwarding) and answers the sender later.
//
// References: XEP-0355 v0.5 §Stanza forwarding (N.B. 1: managing entity unavailable →
// service-unavailable).
import type { HostConfig } from "../config";
import type { Services } from "../pipeline/context";
import { type Element, errorReply } from "../xml/stanza";
import { deepCopy } from "./rules";
import { delegateDirect, learnComponentRoute } from "../routing/direct";

/**
 * Forwards `iq` (its `to` made `to`); the immediate answers for the sender ([] when
 * forwarded). Straight to the component's connection when it is known
 * (./connection-delegations.ts), else through its mailbox, which teaches the route.
 */
export async function forwardTo(services: Services, component: string, host: HostConfig, iq: Element, to: string): Promise<string[]> {
  const forwarded = deepCopy(iq);
  forwarded.attrs.to = to;
  const raw = forwarded.toString();
  try {
    const direct = await delegateDirect(services.ports, component, raw, host.domain);
    if (direct) return direct;
    services.waitUntil(learnComponentRoute(services.ports, component));
    return await services.ports.component(component).delegate(raw, host.domain);
  } catch (e) {
    console.log(JSON.stringify({ event: "delegation-forward-failed", component, error: String(e) }));
    return [errorReply(iq, "service-unavailable", undefined, to).toString()];
  }
}
