// Where XEP-0356 rules meet the account: what the privilege feature does as things
// happen in an account (AccountEvents), and the roster IQs of privileged entities.
// With no privileged entities on the account's host they do nothing (no storage, no RPC);
// the host's directory of online accounts is only kept up when some entity of the host has
// presence access (the one exception: a deleted account always leaves it).
//
// References: XEP-0356 v0.4.1 §4.1 (advertisement to a privileged account), §4.2 (roster
// get/set, pushes), §4.4 (privileged IQ), §4.5 (presence), §7 (business rules).
import type { Account, AccountEvents } from "../im/account";
import { parseTrusted } from "../xml/frame-parser";
import { parseRosterSet, applyRosterSet, rosterResult } from "../im/roster-iq";
import { rosterPush } from "../im/roster-push";
import { NS } from "../xml/namespaces";
import { type Element, errorReply, iqResult, newId, withNamespace } from "../xml/stanza";
import { bareOf, domainOf } from "../jid/jid";
import type { BoundResource } from "../im/resources-store";
import type { RosterItem } from "../im/roster-store";
import { route } from "../pipeline/route";
import type { Ports } from "../ports/ports";
import {
  advertisement, entityOf, grantOn, grantsFor, mayRoster, presenceCopy, presenceTargets, receivesRosterPushes, rosterPushTargets,
} from "./rules";
import { audit } from "./audit";
import { contactPresences, forgetContactPresence, hasContactPresence, rememberContactPresence } from "./store";
import { wantsPresenceFrom } from "../im/subscription";
import { currentPresences } from "./presence";

/** Sends without caring for bounces: privileged copies never bother the user (§3 #1). */
async function deliver(account: Account, el: Element): Promise<void> {
  try {
    await route(account.services, { kind: "server" }, el);
  } catch (e) {
    console.error(JSON.stringify({ event: "privilege-delivery-failed", to: el.attrs.to, error: String(e) }));
  }
}

export const privilegeAccountEvents: Pick<AccountEvents, "presenceBroadcast" | "contactPresence" | "rosterChanged" | "online" | "initialPresence"> = {
  /** A resource of the account broadcast a presence (§4.5.1: available and unavailable only). */
  async presenceBroadcast(account: Account, from: string, pres: Element): Promise<void> {
    const targets = presenceTargets(account.host, "own").filter((e) => e !== account.bare);
    await Promise.all(targets.map(async (entity) => {
      const copy = presenceCopy(pres, from, entity);
      if (copy) await deliver(account, copy);
    }));
  },

  /**
   * The account received an available/unavailable presence (§4.5.2, `roster`): copied only
   * when it comes from a contact whose presence the user is subscribed to ('to' or 'both'),
   * and for the unavailable presence of a JID whose available one was kept (the contact may
   * have been removed in between). Directed presence from anyone else is not the entity's.
   */
  async contactPresence(account: Account, pres: Element): Promise<void> {
    const from = pres.attrs.from ?? "";
    const type = pres.attrs.type;
    if (!from || bareOf(from) === account.bare || (type !== undefined && type !== "unavailable")) return;
    const targets = presenceTargets(account.host, "contacts").filter((e) => e !== account.bare && e !== entityOf(account.config, from));
    if (targets.length === 0) return;
    const contact = isSubscribedTo(account, from);
    if (type === "unavailable") {
      if (!contact && !hasContactPresence(account.sql, from)) return;
      // A resource's unavailable clears what was kept for entities that connect later.
      rememberContactPresence(account.sql, from, null);
    } else {
      if (!contact) return;
      // Kept for entities that connect later (§7 business rule 1), within the store's limits.
      const copyForStore = presenceCopy(pres, from, account.bare);
      if (copyForStore) rememberContactPresence(account.sql, from, storedPresence(copyForStore));
    }
    await Promise.all(targets.map(async (entity) => {
      const copy = presenceCopy(pres, from, entity);
      if (copy) await deliver(account, copy);
    }));
  },

  /** A roster item was created, changed or removed: pushes to the entities (§4.2.3, #16, #17). */
  async rosterChanged(account: Account, item: RosterItem, ver: string, removed: boolean): Promise<void> {
    const targets = rosterPushTargets(account.host).filter((e) => e !== account.bare);
    await Promise.all(targets.map(async (entity) => {
      const push = rosterPush(item, ver, removed);
      push.attrs.from = account.bare;
      push.attrs.to = entity;
      push.attrs.id = newId("priv-push");
      await deliver(account, push);
    }));
  },

  /**
   * A resource's initial presence. If the account is a privileged entity, that resource gets
   * the advertisement of each granting host (§4.1) and the presences it would have had (§7 rule 1).
   */
  async initialPresence(account: Account, r: BoundResource): Promise<void> {
    const grants = grantsFor(account.config, account.bare);
    if (grants.length === 0) return;
    const full = `${account.bare}/${r.resource}`;
    for (const { host, grant } of grants) {
      await account.toResource(r, advertisement(host, grant, full, newId("priv-adv")).toString());
    }
    const seen = new Set<string>();
    for (const { host, grant } of grants) {
      for (const p of await currentPresences(account.services.ports, host, grant)) {
        const from = p.attrs.from ?? "";
        if (seen.has(from)) continue; // §7 rule 2: each presence once
        seen.add(from);
        p.attrs.to = full;
        await account.toResource(r, p.toString());
      }
    }
  },

  /**
   * The account's first resource came online or its last went away: the host's directory,
   * which only presence grants read (initial presences, §7 rule 1). Without any on the host
   * there is no RPC.
   */
  async online(account: Account, online: boolean): Promise<void> {
    if (presenceTargets(account.host, "own").length === 0) return;
    await setOnline(account.services.ports, account.host.domain, account.bare, online);
  },
};

/** Is the user subscribed to the presence of `jid`'s bare JID (RFC 6121 'to' or 'both')? */
function isSubscribedTo(account: Account, jid: string): boolean {
  return wantsPresenceFrom(account.roster.get(bareOf(jid))?.state.subscription ?? "none");
}

export async function setOnline(ports: Ports, host: string, bare: string, online: boolean): Promise<void> {
  try {
    await ports.host(host).setOnline(bare, online);
  } catch (e) {
    console.error(JSON.stringify({ event: "host-directory-failed", account: bare, error: String(e) }));
  }
}

/** A presence stored without `to` (the recipient is filled in when it is sent). */
function storedPresence(p: Element): string {
  delete p.attrs.to;
  return p.toString();
}


function iqFor(raw: string, to: string): string {
  const el = withNamespace(parseTrusted(raw), NS.client);
  el.attrs.to = to;
  return el.toString();
}

/** A roster IQ from someone other than the owner: a privileged entity's, or null (§4.2.2). */
export async function privilegedRosterIq(account: Account, iq: Element, query: Element): Promise<string | null> {
  const from = iq.attrs.from ?? "";
  const type = iq.attrs.type === "get" ? "get" : "set";
  // A push of another user's roster to this account, which is a privileged entity of that user's host.
  const pushGrant = grantOn(account.config, domainOf(from), account.bare);
  if (type === "set" && !from.includes("/") && from.includes("@") && pushGrant && receivesRosterPushes(pushGrant)) {
    const raw = iq.toString();
    await Promise.all(account.available().map((r) => account.toResource(r, iqFor(raw, `${account.bare}/${r.resource}`))));
    return iqResult(iq, undefined, account.bare).toString();
  }
  const entity = entityOf(account.config, from);
  const grant = grantOn(account.config, account.host.domain, entity);
  // An ordinary user without any grant keeps the ordinary answer (service-unavailable).
  if (!grant && !account.config.components[entity]) return null;
  const { services } = account;
  if (!mayRoster(grant, type)) {
    await audit(services, { entity, access: "roster", action: type, user: account.bare, outcome: "forbidden" });
    return errorReply(iq, "forbidden", `${entity} may not ${type} rosters of ${account.host.domain}`, account.bare).toString();
  }
  if (type === "get") {
    await audit(services, { entity, access: "roster", action: "get", user: account.bare, outcome: "ok" });
    return rosterResult(account, iq, query).toString();
  }
  const parsed = parseRosterSet(account, iq, query);
  if ("error" in parsed) {
    await audit(services, { entity, access: "roster", action: "set", user: account.bare, outcome: "error", detail: "refused item" });
    return parsed.error.toString();
  }
  const answer = await applyRosterSet(account, iq, parsed.item, parsed.jid);
  await audit(services, {
    entity, access: "roster", action: "set", user: account.bare, outcome: answer.attrs.type === "result" ? "ok" : "error", detail: parsed.jid,
  });
  return answer.toString();
}

/**
 * Current presences for an entity that connects: own available resources, and (for
 * `roster`) contacts' kept presences, of contacts the user is still subscribed to; rows of
 * former contacts are forgotten here.
 */
export function presencesForEntity(account: Account, contacts: boolean): string[] {
  const own = account.available().filter((r) => r.presence).map((r) => {
    const p = presenceCopy(parseTrusted(r.presence!), `${account.bare}/${r.resource}`, account.bare)!;
    return storedPresence(p);
  });
  if (!contacts) return own;
  const kept: string[] = [];
  for (const { jid, stanza } of contactPresences(account.sql)) {
    if (isSubscribedTo(account, jid)) kept.push(stanza);
    else forgetContactPresence(account.sql, jid);
  }
  return [...own, ...kept];
}
