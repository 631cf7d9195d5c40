// Delivery: what no other feature took at the origin goes to the object that owns
// the destination, by RPC: an account (bare or full JID), a component. There are no
// server-to-server connections, so a remote domain gets remote-server-not-found.
// An IQ response from a component or the server to a bound full JID takes the direct
// route to the connection when it is known (./direct.ts). Bounces come back to the sender.
//
// References: RFC 6120 §8.3.3.16 (remote-server-not-found), §10.4 (local delivery).
import type { Feature } from "../features/feature";
import { PRIORITY } from "../features/feature";
import type { RouteContext } from "../pipeline/context";
import { errorReply, isResponse, serialiseIn } from "../xml/stanza";
import { NS } from "../xml/namespaces";
import { headOf } from "../component/requests-in-flight";
import { deliverDirect, deliverToComponentDirect, learnComponentRoute, learnRoute } from "./direct";

async function toOwner(ctx: RouteContext): Promise<boolean> {
  const { dest, origin, services } = ctx;
  let answers: string[];
  switch (dest.kind) {
    case "account":
      // An account writing to itself (an IQ sent on a user's behalf) is handed over in place.
      answers = origin.kind === "account" && origin.bare === dest.bare
        ? await origin.receive(ctx.stanza)
        : await services.ports.account(dest.bare).receive(ctx.stanza.toString());
      break;
    case "component":
      if (await toComponentDirect(ctx, dest.component)) return true;
      // Through the component's mailbox, which knows whether it is connected.
      answers = await services.ports.component(dest.component).receive(ctx.stanza.toString());
      break;
    case "remote":
      if (!isResponse(ctx.stanza) && ctx.name !== "presence") ctx.reply(errorReply(ctx.stanza, "remote-server-not-found", "this server does not federate"));
      return true;
    case "host":
      return false; // the server's own handlers, or the unhandled answer
  }
  for (const a of answers) ctx.reply(a);
  return true;
}

/**
 * A stanza to a component, but a presence (its mailbox de-duplicates those), straight to
 * the component's connection when the route is known (./direct.ts); after a miss the
 * mailbox takes it and the route is learned for the next one.
 */
async function toComponentDirect(ctx: RouteContext, component: string): Promise<boolean> {
  if (ctx.name === "presence") return false;
  const raw = serialiseIn(ctx.stanza, NS.component);
  if (await deliverToComponentDirect(ctx.services.ports, component, raw, headOf(ctx.stanza))) return true;
  ctx.services.waitUntil(learnComponentRoute(ctx.services.ports, component));
  return false;
}

/** A message, or an IQ response, to a bound full JID: straight to its connection when the route is known. */
async function direct(ctx: RouteContext): Promise<boolean> {
  if (ctx.dest.kind !== "account" || !ctx.dest.resource) return false;
  // A user's own stanzas pass the recipient's account, which applies its blocklist
  // (XEP-0191); answers from components and from the server itself need not.
  if (ctx.origin.kind === "client" || ctx.origin.kind === "account") return false;
  const raw = ctx.stanza.toString();
  if (await deliverDirect(ctx.services.ports, ctx.dest.bare + "/" + ctx.dest.resource, raw)) return true;
  ctx.services.waitUntil(learnRoute(ctx.services.ports, ctx.dest.bare, ctx.dest.resource));
  return false;
}

export const routingFeature: Feature = {
  name: "routing",
  register(r) {
    r.route("pre-*", toOwner, PRIORITY.delivery);
    for (const event of ["pre-message/full", "pre-iq-result/full", "pre-iq-error/full"] as const) r.route(event, direct, PRIORITY.delivery + 1);
  },
};
