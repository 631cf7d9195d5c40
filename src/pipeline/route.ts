// The origin stage: a stanza with a trusted `from`, where it arose, goes through the
// table's `pre-` events. Features take what is theirs (delegation, privilege, the
// server's own IQs, registration, ...); the routing feature's default handlers hand
// the rest to the object that owns the destination. Whatever nobody takes gets the
// one unhandled answer below.
//
// References: RFC 6120 §8.2.3, §8.3.1 (never answer an error or a result), §10.3.
import { parseJid, type Jid } from "../jid/jid";
import { type Element, errorReply, isResponse } from "../xml/stanza";
import { classify, destinationKind } from "./classify";
import type { Origin, RouteContext, Services } from "./context";
import { eventKeys, requestPayload } from "./events";

export interface RouteOptions {
  /** The stanza's `to`, already parsed (null: it has none, the sender's own account). */
  to?: Jid | null;
  /** Sends each answer as it is made (a client's connection) instead of collecting them. */
  reply?: (stanza: string) => void;
}

function originBare(origin: Origin): string {
  return origin.kind === "client" || origin.kind === "account" ? origin.bare : "";
}

/** Routes `stanza` from `origin`; returns the answers for the sender (none when `opts.reply` sends them). */
export async function route(services: Services, origin: Origin, stanza: Element, opts: RouteOptions = {}): Promise<string[]> {
  const replies: string[] = [];
  const send = opts.reply ?? ((s: string) => replies.push(s));
  const reply = (s: Element | string) => send(typeof s === "string" ? s : s.toString());
  let to: Jid | null;
  if (opts.to !== undefined) to = opts.to;
  else {
    to = stanza.attrs.to !== undefined ? parseJid(stanza.attrs.to) : null;
    if (!to) {
      const by = origin.kind === "component" ? origin.jid : undefined;
      if (!isResponse(stanza)) reply(errorReply(stanza, "jid-malformed", stanza.attrs.to === undefined ? "a stanza needs a 'to'" : "invalid 'to' address", by));
      return replies;
    }
  }
  const self = originBare(origin);
  const from = parseJid(stanza.attrs.from ?? "") ?? parseJid(self) ?? { local: "", domain: "", resource: "", bare: "", full: "" };
  const dest = to ? classify(services.config, to) : { kind: "account" as const, host: from.domain, bare: self, resource: "" };
  const host = dest.kind === "host" || dest.kind === "account" ? services.config.hosts[dest.host] ?? null : null;
  const name = stanza.name as RouteContext["name"];
  const ctx: RouteContext = {
    services, origin, stanza, name, type: stanza.attrs.type, from, to, dest, host,
    kind: destinationKind(dest, self),
    payload: requestPayload(stanza),
    reply,
  };
  try {
    const handled = await services.routes.fire(eventKeys("pre-", name, ctx.type, ctx.kind, ctx.payload), ctx);
    if (!handled) unhandled(ctx);
  } catch (e) {
    // An object on the way failed (overloaded, restarting): the sender is told to retry
    // and keeps its stream; nothing was taken silently.
    console.error(JSON.stringify({ event: "route-failed", stanza: name, to: stanza.attrs.to, error: String(e) }));
    if (!isResponse(stanza)) reply(errorReply(stanza, "internal-server-error", "a temporary failure on the server; try again", undefined, "wait"));
  }
  return replies;
}

/**
 * The one answer to a stanza nothing took: an IQ request gets service-unavailable (or
 * bad-request when it carries no single payload, RFC 6120 §8.2.3); messages, presences,
 * results and errors are dropped.
 */
function unhandled(ctx: RouteContext): void {
  const { stanza } = ctx;
  if (stanza.name !== "iq" || (ctx.type !== "get" && ctx.type !== "set")) return;
  const by = ctx.kind === "host" ? ctx.host?.domain : undefined;
  if (!ctx.payload) ctx.reply(errorReply(stanza, "bad-request", "an IQ request carries exactly one payload", by));
  else ctx.reply(errorReply(stanza, "service-unavailable", undefined, by));
}
