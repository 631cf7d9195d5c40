// XEP-0030 disco#info of an account's bare JID (XEP-0030 §3.1: category 'account').
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";

export function accountDiscoInfo(node?: string): Element {
  const query = xml("query", node ? { xmlns: NS.discoInfo, node } : { xmlns: NS.discoInfo });
  query.c("identity", { category: "account", type: "registered" });
  query.c("feature", { var: NS.discoInfo });
  query.c("feature", { var: NS.discoItems });
  return query;
}
