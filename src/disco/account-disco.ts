// XEP-0030 disco#info of an account's bare JID (XEP-0030 §3.1: category 'account').
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";

export function accountDiscoInfo(features: Iterable<string>): Element {
  const query = xml("query", { xmlns: NS.discoInfo });
  query.c("identity", { category: "account", type: "registered" });
  for (const f of new Set([NS.discoInfo, NS.discoItems, ...features])) query.c("feature", { var: f });
  return query;
}
