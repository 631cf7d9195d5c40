// GET /admin/components: every configured component, connected or not, and since when.
// Whether a secret is configured is shown; the secret never is (it is not in the config).
import type { Ports } from "../ports/ports";
import type { GatewayConfig } from "../config";

export interface ComponentView {
  jid: string;
  connected: boolean;
  /** ISO time of the last connection (when connected) or disconnection; null if unknown. */
  since: string | null;
  has_secret: boolean;
}

export async function componentViews(ports: Ports, config: GatewayConfig): Promise<ComponentView[]> {
  const jids = Object.keys(config.components).sort();
  return Promise.all(jids.map(async (jid) => {
    const hasSecret = config.components[jid]!.hasSecret;
    try {
      const s = await ports.component(jid).connectionStatus();
      return { jid, connected: s.connected, since: s.since === null ? null : new Date(s.since).toISOString(), has_secret: hasSecret };
    } catch {
      return { jid, connected: false, since: null, has_secret: hasSecret };
    }
  }));
}
