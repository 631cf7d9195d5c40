// XEP-0191 §5 JID matching: an item blocks a stanza whose JID is
// user@domain/resource if the item is exactly user@domain/resource, user@domain,
// domain/resource or domain, and a domain item also blocks its subdomains ("the domain
// itself matches, as does any user@domain, domain/resource, or address containing a
// subdomain"), as in XEP-0016 §2.1.
import { parseJid } from "../jid/jid";

/** The blocklist items that would match a stanza from or to `jid`, most specific first. */
export function matchingItems(jid: string): string[] {
  const j = parseJid(jid);
  if (!j) return [];
  const items = [j.full];
  if (j.resource) items.push(j.bare);
  if (j.local && j.resource) items.push(`${j.domain}/${j.resource}`);
  if (j.local || j.resource) items.push(j.domain);
  // Parent domains: a.b.example matches items b.example and example.
  const labels = j.domain.split(".");
  for (let i = 1; i < labels.length; i++) items.push(labels.slice(i).join("."));
  return [...new Set(items)];
}

/** Is `jid` blocked by `blocklist` (normalised JIDs, as the store keeps them)? */
export function isBlocked(blocklist: Iterable<string>, jid: string): boolean {
  const set = blocklist instanceof Set ? (blocklist as Set<string>) : new Set(blocklist);
  return matchingItems(jid).some((item) => set.has(item));
}
