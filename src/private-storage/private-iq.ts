// XEP-0049 private XML storage: <query xmlns='jabber:iq:private'> get and set, per
// namespace of the child element, for oneself only.
//
// - another user's storage: <forbidden/> (§2.3, "preferable" to service-unavailable);
// - a query with no child element: <not-acceptable/> (§2.3, Elements);
// - a child in jabber:client, jabber:server or jabber:iq:private: <not-acceptable/>;
// - a get names exactly one namespace; a set may hold several elements of one namespace;
// - over the account's bound: <policy-violation/> (a local limit, RFC 6120 §8.3.3.12).
import { type Element, errorReply, iqPayload, iqResult, xml } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { clientCopy } from "../xml/forwarded";
import { NS } from "../xml/namespaces";
import { MAX_PRIVATE_BYTES, type PrivateStore } from "./private-store";

const REFUSED_NAMESPACES: readonly string[] = [NS.client, NS.server, NS.privateStorage];

/** A stored fragment is a <wrap> around the elements, so several can share one row. */
function serialise(children: Element[]): string {
  return xml("wrap", {}, ...children.map((c) => {
    const copy = clientCopy(c);
    copy.attrs.xmlns = c.getNS();
    return copy;
  })).toString();
}

export function handlePrivateIq(iq: Element, ownerBare: string, store: PrivateStore): Element {
  const query = iqPayload(iq);
  if (!query || query.getName() !== "query" || query.getNS() !== NS.privateStorage) return errorReply(iq, "bad-request");
  if ((iq.attrs.from ?? "").split("/")[0] !== ownerBare) return errorReply(iq, "forbidden");
  const children = query.getChildElements();
  if (children.length === 0) return errorReply(iq, "not-acceptable", "name the namespace to store or retrieve");
  const ns = children[0]!.getNS();
  if (typeof ns !== "string" || ns === "" || REFUSED_NAMESPACES.includes(ns)) return errorReply(iq, "not-acceptable", "reserved namespace");
  if (children.some((c) => c.getNS() !== ns)) return errorReply(iq, "bad-request", "one namespace per request");

  if (iq.attrs.type === "get") {
    if (children.length > 1) return errorReply(iq, "bad-request", "one element per get");
    const stored = store.get(ns);
    const result = xml("query", { xmlns: NS.privateStorage });
    if (stored === null) {
      // Nothing stored: the requested element comes back empty.
      result.cnode(xml(children[0]!.name, { xmlns: ns }));
    } else {
      for (const el of parseTrusted(stored).getChildElements()) result.cnode(el);
    }
    return iqResult(iq, result);
  }
  if (iq.attrs.type !== "set") return errorReply(iq, "bad-request");
  if (!store.set(ns, serialise(children))) return errorReply(iq, "policy-violation", `private storage is limited to ${MAX_PRIVATE_BYTES} bytes`);
  return iqResult(iq);
}
