// Hands a delegated IQ request to the managing component's mailbox, which forwards it
// wrapped (XEP-0355 §Stanza forwarding) and answers the sender later.
//
// References: XEP-0355 v0.5 §Stanza forwarding (N.B. 1: managing entity unavailable →
// service-unavailable).
import type { HostConfig } from "../config";
import type { Services } from "../pipeline/context";
import { type Element, errorReply } from "../xml/stanza";
import { deepCopy } from "./rules";

/** Forwards `iq` (its `to` made `to`); the immediate answers for the sender ([] when forwarded). */
export async function forwardTo(services: Services, component: string, host: HostConfig, iq: Element, to: string): Promise<string[]> {
  const forwarded = deepCopy(iq);
  forwarded.attrs.to = to;
  try {
    return await services.ports.component(component).delegate(forwarded.toString(), host.domain);
  } catch (e) {
    console.log(JSON.stringify({ event: "delegation-forward-failed", component, error: String(e) }));
    return [errorReply(iq, "service-unavailable", undefined, to).toString()];
  }
}
