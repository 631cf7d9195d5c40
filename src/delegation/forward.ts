// XEP-0355 admin-mode forwarding hook, called where an IQ request arises.
// Filled in by the delegation feature; until a host has delegations nothing is forwarded.
import type { Env } from "../env";
import type { GatewayConfig, HostConfig } from "../config";
import type { Element } from "../xml/stanza";

export async function delegateIfConfigured(
  _env: Env,
  _config: GatewayConfig,
  _host: HostConfig,
  _iq: Element,
  _target: "host" | "bare",
  _bare: string | null,
): Promise<string[] | null> {
  return null;
}
