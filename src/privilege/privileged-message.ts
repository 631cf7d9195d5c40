// XEP-0356 §4.3 message access: <message to=host><privilege><forwarded><message from=user@host/>
// from a privileged entity (a component's router, or a privileged account's session), routed
// as though the user (or the host itself) had sent it. Refusals are message errors from
// the host: `forbidden` (no permission, a full JID, another host, no such account) or
// `bad-request` (malformed wrapper).
//
// Bounces of the routed message (e.g. remote-server-not-found) are not shown to anyone:
// the user did not send it (XEP-0356 §3: transparent to managed entities), and the entity
// already got its acceptance; they are logged in the audit line.
//
// A privileged message of type 'error' is dropped without an answer.
//
// References: XEP-0356 v0.4.1 §4.3 (#18–#23 of shared/xep0356.md), XEP-0297, RFC 6120 §8.3.1, §8.3.3.4.
import type { GatewayConfig } from "../config";
import type { Services } from "../pipeline/context";
import { route } from "../pipeline/route";
import { type Element, errorReply, isResponse } from "../xml/stanza";
import { parseJid } from "../jid/jid";
import { checkPrivilegedMessage, entityOf, isPrivilegedMessage } from "./rules";
import { audit } from "./audit";
import type { AuditDetail } from "./store";

/** True when `msg` is a privileged message to a host: the caller must hand it to handlePrivilegedMessage. */
export function isPrivilegedMessageToHost(config: GatewayConfig, msg: Element): boolean {
  if (!isPrivilegedMessage(msg)) return false;
  const to = msg.attrs.to ? parseJid(msg.attrs.to) : null;
  return !!to && !to.local && !to.resource && !!config.hosts[to.domain];
}

/** Checks and routes a privileged message; returns the replies for the entity ([] when accepted). */
export async function handlePrivilegedMessage(services: Services, msg: Element, count?: (key: string, detail: AuditDetail) => void): Promise<string[]> {
  const { config } = services;
  // RFC 6120 §8.3.1: an error is never answered with an error (nor acted upon); a component
  // bouncing, say, the advertisement would otherwise loop with the host.
  if (isResponse(msg)) return [];
  const entity = entityOf(config, msg.attrs.from ?? "");
  const host = parseJid(msg.attrs.to ?? "")?.domain ?? "";
  let check = checkPrivilegedMessage(config, msg, entity);
  if ("ok" in check && check.user !== check.host && !(await services.ports.account(check.user).exists())) {
    check = { error: "forbidden", text: `${check.user} is not an account of ${check.host}` };
  }
  if ("error" in check) {
    await audit(services, { entity, access: "message", action: "outgoing", user: null, outcome: check.error, detail: check.text }, count);
    return [errorReply(msg, check.error, check.text, host).toString()];
  }
  const bounces = await route(services, { kind: "server" }, check.inner);
  await audit(services, {
    entity, access: "message", action: "outgoing", user: check.user, outcome: "ok",
    detail: bounces.length ? `to ${check.inner.attrs.to}, bounced` : `to ${check.inner.attrs.to}`,
  }, count);
  return [];
}
