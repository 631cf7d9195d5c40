// The audit trail of privileged actions: one structured log line each, and a counter
// per entity kept in the entity's own object (its ComponentRouter, or its AccountObject
// for a user account entity), served by GET /admin/privileges.
import type { GatewayConfig } from "../config";
import type { Ports } from "../ports/ports";
import type { Services } from "../pipeline/context";
import { auditKey, auditLine, type AuditEvent } from "./rules";
import type { AuditDetail, AuditEntry } from "./store";

/**
 * Logs and counts one privileged action. `local` counts in place when the caller already is
 * the entity's object (no RPC to itself). Counting never fails the action it records.
 */
export async function audit(services: Services, e: AuditEvent, local?: (key: string, detail: AuditDetail) => void): Promise<void> {
  const { config, ports } = services;
  console.log(auditLine(e));
  const key = auditKey(e);
  const detail = auditDetail(e);
  try {
    if (local) local(key, detail);
    else await entityPort(ports, config, e.entity).recordPrivilege(key, detail);
  } catch (err) {
    console.error(JSON.stringify({ event: "privilege-audit-failed", entity: e.entity, key, error: String(err) }));
  }
}

/** The finer counter ("roster get/ok", "iq set NS/forbidden") and the entry kept among the last actions. */
export function auditDetail(e: AuditEvent): AuditDetail {
  const entry: AuditDetail["entry"] = { access: e.access, action: e.action, outcome: e.outcome };
  if (e.user) entry.user = e.user;
  if (e.detail) entry.detail = e.detail;
  return { key: `${e.access} ${e.action}/${e.outcome}`, entry };
}

/** Every entity's last privileged actions (newest last). */
export async function auditLogs(ports: Ports, config: GatewayConfig): Promise<Record<string, AuditEntry[]>> {
  const out: Record<string, AuditEntry[]> = {};
  await Promise.all([...privilegedEntities(config)].map(async (entity) => {
    try {
      out[entity] = await entityPort(ports, config, entity).privilegeLog();
    } catch {
      out[entity] = [];
    }
  }));
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

function privilegedEntities(config: GatewayConfig): Set<string> {
  const entities = new Set<string>();
  for (const host of Object.values(config.hosts)) for (const entity of Object.keys(host.privileged)) entities.add(entity);
  return entities;
}

/** Every privileged entity of the configuration with its counters. */
export async function auditCounts(ports: Ports, config: GatewayConfig): Promise<Record<string, Record<string, number>>> {
  const entities = privilegedEntities(config);
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
