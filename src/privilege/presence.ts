// XEP-0356 §4.5 presence access, the parts that are not per-account hooks:
// what an entity receives when it connects (§7 business rule 1) and the de-duplication
// of what a component receives (§7 business rule 2).
//
// Each managed account sends its own copies as presences arise (account-hooks.ts), so a
// contact in several users' rosters reaches a `roster` entity once per user; the
// component's router keeps the last presence per full JID and drops identical repeats
// (and an unavailable one for a JID it has no available presence from).
import type { Ports } from "../ports/ports";
import type { GatewayConfig, PrivilegeGrant } from "../config";
import type { ComponentMailbox } from "../component/mailbox";
import { NS } from "../xml/namespaces";
import { type Element, xml } from "../xml/stanza";
import { parseTrusted } from "../xml/frame-parser";
import { bareOf, domainOf } from "../jid/jid";
import { freshPresence } from "./store";

/** A presence as a comparable string: attributes sorted, `to` and `xmlns` left out. */
export function presenceCanon(pres: Element): string {
  const attrs = Object.keys(pres.attrs).filter((k) => k !== "to" && k !== "xmlns").sort().map((k) => `${k}=${JSON.stringify(pres.attrs[k])}`);
  return `${attrs.join(" ")}|${pres.children.map((c) => c.toString()).join("")}`;
}

/**
 * Whether a presence on its way to the component `router` should be delivered: false for
 * a copy the component already has from that full JID (§7 rule 2). Only the copies made
 * under a presence grant are de-duplicated: they are addressed to the component's own
 * domain, from a JID of a host that grants it presence access. Presences to a JID at the
 * component (a MUC room occupant, say) and everything else pass untouched.
 */
export function deliverPresenceToComponent(router: ComponentMailbox, pres: Element): boolean {
  const from = pres.attrs.from;
  if (!from || pres.attrs.to !== router.jid) return true;
  const type = pres.attrs.type;
  if (type !== undefined && type !== "unavailable") return true;
  if (!grantsPresenceFrom(router.config, router.jid, from)) return true;
  const stored = xml("presence", { ...pres.attrs, xmlns: NS.client }, ...pres.children);
  delete stored.attrs.to;
  return freshPresence(router.store.sql, from, presenceCanon(pres), stored.toString(), type === undefined);
}

/** Does any host grant `entity` presence access covering presences from `from`? */
export function grantsPresenceFrom(config: GatewayConfig, entity: string, from: string): boolean {
  const domain = domainOf(from);
  const own = config.hosts[domain]?.privileged[entity];
  if (own && own.presence !== "none") return true;
  // Contacts' presences (any domain) reach `roster` entities.
  return Object.values(config.hosts).some((h) => h.privileged[entity]?.presence === "roster");
}

/**
 * The current presences an entity granted `grant` on `host` would have received (§7 rule 1):
 * every available resource of the host's online users and, for `roster`, the last presence
 * each of their contacts sent them. Only `host`'s users are asked (never another vhost).
 */
export async function currentPresences(ports: Ports, host: string, grant: PrivilegeGrant): Promise<Element[]> {
  if (grant.presence === "none") return [];
  let online: string[] = [];
  try {
    online = await ports.host(host).onlineAccounts();
  } catch {
    return [];
  }
  const contacts = grant.presence === "roster";
  const lists = await Promise.all(online.filter((bare) => bare !== grant.entity && domainOf(bare) === host).map(async (bare) => {
    try {
      return await ports.account(bare).privilegePresences(contacts);
    } catch {
      return [];
    }
  }));
  const out: Element[] = [];
  for (const list of lists) {
    for (const s of list) {
      const p = parseTrusted(s);
      const from = p.attrs.from ?? "";
      if (domainOf(from) === grant.entity || bareOf(from) === grant.entity) continue; // the entity's own presence
      p.attrs.xmlns = NS.client;
      out.push(p);
    }
  }
  return out;
}
