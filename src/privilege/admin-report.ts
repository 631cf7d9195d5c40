// GET /admin/privileges: the XEP-0356 grants in effect, per host, and the audit counters
// of every privileged entity. Grants carry no secret; component secrets are never read here.
import type { Ports } from "../ports/ports";
import type { GatewayConfig, IqAccess, MessageAccess, PresenceAccess, RosterAccess } from "../config";
import { auditCounts, auditLogs } from "./audit";
import type { AuditEntry } from "./store";

export interface GrantView {
  roster: RosterAccess;
  push: boolean;
  message: MessageAccess;
  presence: PresenceAccess;
  iq: Record<string, IqAccess>;
}

export interface PrivilegeReport {
  hosts: Record<string, Record<string, GrantView>>;
  /** Per entity: "access/outcome" counters, and finer "access action/outcome" ones. */
  counts: Record<string, Record<string, number>>;
  /** Per entity: its last privileged actions, newest last. */
  last: Record<string, AuditEntry[]>;
}

export async function privilegeReport(ports: Ports, config: GatewayConfig): Promise<PrivilegeReport> {
  const hosts: Record<string, Record<string, GrantView>> = {};
  for (const host of Object.keys(config.hosts).sort()) {
    const grants: Record<string, GrantView> = {};
    for (const [entity, g] of Object.entries(config.hosts[host]!.privileged).sort(([a], [b]) => a.localeCompare(b))) {
      grants[entity] = { roster: g.roster, push: g.push, message: g.message, presence: g.presence, iq: { ...g.iq } };
    }
    hosts[host] = grants;
  }
  const [counts, last] = await Promise.all([auditCounts(ports, config), auditLogs(ports, config)]);
  return { hosts, counts, last };
}
