// What a host says about itself (XEP-0030 disco#info and #items, XEP-0092 version).
// The features come from the features that registered them; the server's own are here.
// References: XEP-0030 §3.1, §4.1; XEP-0092; XEP-0199.
import type { GatewayConfig, HostConfig } from "../config";
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";

export const SOFTWARE = { name: "xmpp-edge", version: "0.1.0" };

/** The features this module itself answers for at a host. */
export const SERVER_FEATURES: readonly string[] = [NS.discoInfo, NS.discoItems, NS.ping, NS.version];

export function hostDiscoInfo(features: Iterable<string>): Element {
  const query = xml("query", { xmlns: NS.discoInfo });
  query.c("identity", { category: "server", type: "im", name: "xmpp-edge" });
  for (const f of new Set(features)) query.c("feature", { var: f });
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

export function versionQuery(): Element {
  return xml("query", { xmlns: NS.version }, xml("name", {}, SOFTWARE.name), xml("version", {}, SOFTWARE.version));
}
