// Who counts as one sender for quotas kept per sender (offline storage, pending
// subscription requests): a user of a host served here is one sender per bare JID; any
// other JID counts as its domain, so a component (which may send from any number of JIDs
// at its domain) is one sender, whatever `from` it picks.
import type { GatewayConfig } from "../config";
import { bareOf, domainOf } from "../jid/jid";

export function senderKey(config: GatewayConfig, from: string): string {
  const domain = domainOf(from);
  return config.hosts[domain] && bareOf(from) !== domain ? bareOf(from) : domain;
}
