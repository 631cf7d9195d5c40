// IQs addressed to a host itself (RFC 6120 §10.3: no `to`, or the domain), answered
// by the server: service discovery, ping, software version. Unknown payloads get
// service-unavailable (RFC 6120 §8.4); responses are never answered.
// References: XEP-0030, XEP-0199, XEP-0092, XEP-0160 (msgoffline feature).
import type { GatewayConfig, HostConfig } from "../config";
import type { Env } from "../env";
import { withDelegatedDisco } from "../delegation/forward";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqPayload, iqResult, xml } from "../xml/stanza";

export const SOFTWARE = { name: "xmpp-edge", version: "0.1.0" };

export function hostFeatures(host: HostConfig): string[] {
  const features: string[] = [NS.discoInfo, NS.discoItems, NS.ping, NS.version, "msgoffline", NS.roster];
  if (host.registration) features.push(NS.register);
  if (Object.keys(host.delegations).length > 0) features.push(NS.delegation);
  if (Object.keys(host.privileged).length > 0) features.push(NS.privilege);
  return features;
}

export function hostDiscoInfo(config: GatewayConfig, host: HostConfig, node?: string, extra?: { features: string[]; identities: Element[]; forms: Element[] }): Element {
  const query = xml("query", node ? { xmlns: NS.discoInfo, node } : { xmlns: NS.discoInfo });
  query.c("identity", { category: "server", type: "im", name: "xmpp-edge" });
  for (const id of extra?.identities ?? []) query.cnode(id);
  const features = new Set([...hostFeatures(host), ...(extra?.features ?? [])]);
  for (const f of features) query.c("feature", { var: f });
  for (const form of extra?.forms ?? []) query.cnode(form);
  return query;
}

export function hostDiscoItems(config: GatewayConfig, host: HostConfig): Element {
  const query = xml("query", { xmlns: NS.discoItems });
  for (const jid of Object.keys(config.components)) {
    // Components under this host's domain, or any component when only one host exists.
    if (jid.endsWith(`.${host.domain}`) || Object.keys(config.hosts).length === 1) query.c("item", { jid });
  }
  return query;
}

/**
 * Answers an IQ request addressed to `host`. `iq.attrs.from` is already trusted.
 * With `env`, disco#info merges what XEP-0355 managing entities report (an RPC each).
 */
export async function handleHostIq(config: GatewayConfig, host: HostConfig, iq: Element, env?: Env): Promise<Element | null> {
  const type = iq.attrs.type;
  if (type === "result" || type === "error") return null;
  const payload = iqPayload(iq);
  const from = host.domain;
  if (!payload) return errorReply(iq, "bad-request", "an IQ request carries exactly one payload", from);
  const ns = payload.attrs.xmlns;
  if (type === "get" && payload.name === "query" && ns === NS.discoInfo) {
    if (payload.attrs.node) return errorReply(iq, "item-not-found", undefined, from);
    const info = hostDiscoInfo(config, host);
    return iqResult(iq, env ? await withDelegatedDisco(env, host, "host", info) : info, from);
  }
  if (type === "get" && payload.name === "query" && ns === NS.discoItems) {
    if (payload.attrs.node) return errorReply(iq, "item-not-found", undefined, from);
    return iqResult(iq, hostDiscoItems(config, host), from);
  }
  if (type === "get" && payload.name === "ping" && ns === NS.ping) return iqResult(iq, undefined, from);
  if (type === "get" && payload.name === "query" && ns === NS.version) {
    return iqResult(iq, xml("query", { xmlns: NS.version }, xml("name", {}, SOFTWARE.name), xml("version", {}, SOFTWARE.version)), from);
  }
  return errorReply(iq, "service-unavailable", undefined, from);
}
