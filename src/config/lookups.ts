// Lookups in a configuration. Inputs are lower-cased; callers normally pass already
// normalised domains (from a parsed JID), for which this is a no-op.
import type { GatewayConfig, HostConfig } from "./types";

export function hostOf(config: GatewayConfig, domain: string): HostConfig | undefined {
  const d = domain.toLowerCase();
  return Object.hasOwn(config.hosts, d) ? config.hosts[d] : undefined;
}

/** True when `domain` is exactly a configured component JID. */
export function isComponent(config: GatewayConfig, domain: string): boolean {
  return Object.hasOwn(config.components, domain.toLowerCase());
}

/**
 * The component JID serving `domain`. Exact match only: a XEP-0114 component owns exactly
 * its own domain, so "x.pubsub.localhost" is NOT served by "pubsub.localhost" (it would have
 * to be configured as a component of its own).
 */
export function componentFor(config: GatewayConfig, domain: string): string | undefined {
  const d = domain.toLowerCase();
  return Object.hasOwn(config.components, d) ? config.components[d].jid : undefined;
}
