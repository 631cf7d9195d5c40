// Sending a stanza to the object that owns its destination, by RPC.
// Stanzas travel as strings: each object parses what it receives once.
import type { Env } from "../env";
import type { GatewayConfig } from "../config";
import { parseJid } from "../jid/jid";
import { classify, type Destination } from "./destination";
import { type Element, errorReply, isResponse } from "../xml/stanza";

export function accountStub(env: Env, bare: string) {
  return env.ACCOUNT.getByName(bare);
}

export function componentStub(env: Env, component: string) {
  return env.COMPONENT.getByName(component);
}

export function sessionStub(env: Env, sessionId: string) {
  return env.SESSION.get(env.SESSION.idFromString(sessionId));
}

/** What a destination answered: nothing, or stanzas to hand back to the sender. */
export type Bounce = string[];

/**
 * Routes a stanza that is already stamped with a trusted `from` to its `to`.
 * Stanzas to a host itself are not handled here (the caller runs the server's
 * handlers where the stanza arose); they come back as `{ kind: "host" }`.
 * Returns the replies the destination produced for the sender (errors, or an
 * immediate IQ answer), which the caller delivers back.
 */
export async function routeStanza(env: Env, config: GatewayConfig, stanza: Element, dest?: Destination): Promise<Bounce> {
  let target = dest;
  if (!target) {
    // Callers that already classified the `to` pass `dest`: no second parse.
    const to = stanza.attrs.to ? parseJid(stanza.attrs.to) : null;
    if (!to) return isResponse(stanza) ? [] : [errorReply(stanza, "jid-malformed").toString()];
    target = classify(config, to);
  }
  switch (target.kind) {
    case "account":
      return accountStub(env, target.bare).receive(stanza.toString());
    case "component":
      return componentStub(env, target.component).receive(stanza.toString());
    case "host":
      // The caller should have handled it; refuse rather than loop.
      return isResponse(stanza) ? [] : [errorReply(stanza, "service-unavailable").toString()];
    case "remote":
      // RFC 6120 §8.3.3.16: no server-to-server connections from this gateway.
      if (isResponse(stanza) || stanza.name === "presence") return [];
      return [errorReply(stanza, "remote-server-not-found", "this server does not federate").toString()];
  }
}
