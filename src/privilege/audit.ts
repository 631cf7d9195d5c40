// The audit trail of privileged actions: one structured log line each, and a counter
// per entity kept in the entity's own object (its ComponentRouter, or its AccountObject
// for a user account entity), served by GET /admin/privileges.
import type { GatewayConfig } from "../config";
import type { Ports } from "../ports/ports";
import type { Services } from "../pipeline/context";
import { auditKey, auditLine, type AuditEvent } from "./rules";

/**
 * Logs and counts one privileged action. `local` counts in place when the caller already is
 * the entity's object (no RPC to itself). Counting never fails the action it records.
 */
export async function audit(services: Services, e: AuditEvent, local?: (key: string) => void): Promise<void> {
  const { config, ports } = services;
  console.log(auditLine(e));
  const key = auditKey(e);
  try {
    if (local) local(key);
    else await entityPort(ports, config, e.entity).recordPrivilege(key);
  } catch (err) {
    console.error(JSON.stringify({ event: "privilege-audit-failed", entity: e.entity, key, error: String(err) }));
  }
}

/** Every privileged entity of the configuration with its counters. */
export async function auditCounts(ports: Ports, config: GatewayConfig): Promise<Record<string, Record<string, number>>> {
  const entities = new Set<string>();
  for (const host of Object.values(config.hosts)) for (const entity of Object.keys(host.privileged)) entities.add(entity);
  const out: Record<string, Record<string, number>> = {};
  await Promise.all([...entities].sort().map(async (entity) => {
    try {
      out[entity] = await entityPort(ports, config, entity).privilegeCounts();
    } catch {
      out[entity] = {};
    }
  }));
  // Stable key order for readers.
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

/** The object that keeps an entity's counters: its component mailbox, or its account. */
function entityPort(ports: Ports, config: GatewayConfig, entity: string) {
  return config.components[entity] ? ports.component(entity) : ports.account(entity);
}
