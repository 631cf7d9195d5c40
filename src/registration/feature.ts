// XEP-0077 in-band registration after authentication: password change and account
// removal, asked of the user's own server (no `to`, or the user's own host). Creation
// before authentication is part of the client stream (src/stream/client-stream.ts).
import type { Feature } from "../features/feature";
import type { RouteContext } from "../pipeline/context";
import { iqEvent } from "../pipeline/events";
import { NS } from "../xml/namespaces";
import { answerRegistrationIq } from "./registration";

async function registration(ctx: RouteContext): Promise<boolean> {
  const { origin } = ctx;
  if (origin.kind !== "client") return false;
  // Only without `to` (not the user's own bare JID) or at the user's own host.
  if (ctx.kind === "self" ? ctx.to !== null : ctx.host?.domain !== origin.host) return false;
  const host = ctx.services.config.hosts[origin.host]!;
  await answerRegistrationIq(ctx.services.ports, host, ctx.stanza, origin.bare, (el) => ctx.reply(el));
  return true;
}

export const registrationFeature: Feature = {
  name: "registration",
  register(r) {
    for (const type of ["get", "set"]) {
      r.route(iqEvent("pre-", type, "self", NS.register, "query"), registration, 50);
      r.route(iqEvent("pre-", type, "host", NS.register, "query"), registration, 50);
    }
    r.disco("host", (host) => (host.registration ? [NS.register] : []));
  },
};
