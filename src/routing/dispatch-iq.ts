// Where an IQ goes once its `from` is trusted: XEP-0355 delegation first, then the
// server's own handlers for a host, the account for a bare JID, plain routing for the
// rest. One path for every place an IQ arises (a client's session, a component's
// router, a privileged IQ executed as a user), so that they cannot drift apart.
//
// References: RFC 6120 §8.2.3 / §10.3.3 (IQs to the server or a bare JID are answered by
// the server), XEP-0355 v0.5 §Stanza forwarding, XEP-0356 v0.4.1 §4.4 (privileged IQs
// go where the user's own would).
import type { Env } from "../env";
import type { GatewayConfig, HostConfig } from "../config";
import type { Element } from "../xml/stanza";
import { handleHostIq } from "../server/host-iq";
import { delegateIfConfigured } from "../delegation/forward";
import { type Destination } from "./destination";
import { accountStub, routeStanza } from "./route";

export interface DispatchOptions {
  /**
   * The account whose own object runs the dispatch: an IQ to its bare JID is handed to
   * `receive` in place instead of an RPC to itself.
   */
  self?: { bare: string; receive(iq: Element): Promise<string[]> };
  /**
   * Host-level IQs the caller answers itself, after delegation and before the server's
   * handlers (a client session's in-band registration); null passes the IQ on.
   */
  hostFirst?: (host: HostConfig, iq: Element) => Promise<string[] | null>;
}

/**
 * Sends an IQ (stamped `from`) to `dest` and returns the stanzas for its sender: an
 * immediate answer, an error, or [] when the answer comes later. An IQ to a bare JID
 * reaches the account even without a `to` (RFC 6120 §10.3.3: the sender's own account).
 */
export async function dispatchIqRequest(env: Env, config: GatewayConfig, iq: Element, dest: Destination, opts: DispatchOptions = {}): Promise<string[]> {
  if (dest.kind === "host") {
    const host = config.hosts[dest.host]!;
    const forwarded = await delegateIfConfigured(env, config, host, iq, "host", null);
    if (forwarded) return forwarded;
    const first = opts.hostFirst ? await opts.hostFirst(host, iq) : null;
    if (first) return first;
    const reply = await handleHostIq(config, host, iq, env);
    return reply ? [reply.toString()] : [];
  }
  if (dest.kind === "account" && !dest.resource) {
    const forwarded = await delegateIfConfigured(env, config, config.hosts[dest.host]!, iq, "bare", dest.bare);
    if (forwarded) return forwarded;
    if (opts.self && opts.self.bare === dest.bare) return opts.self.receive(iq);
    return accountStub(env, dest.bare).receive(iq.toString());
  }
  return routeStanza(env, config, iq, dest);
}
