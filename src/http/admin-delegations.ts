// GET /admin/delegations: the XEP-0355 delegations of every host, with the managing
// component, its filtering attributes, whether it is connected, and the counters its
// mailbox keeps per namespace (src/delegation/counters.ts; a component managing
// a namespace for several hosts has one counter for all of them).
import type { Ports } from "../ports/ports";
import type { GatewayConfig } from "../config";
import type { DelegationCounts } from "../delegation/counters";

export interface DelegationView {
  namespace: string;
  component: string;
  filtering: string[];
  connected: boolean;
  counts: DelegationCounts;
}

const ZERO: DelegationCounts = { forwarded: 0, answered: 0, failed: 0, timed_out: 0 };

export async function delegationViews(ports: Ports, config: GatewayConfig): Promise<Record<string, DelegationView[]>> {
  const components = new Set<string>();
  for (const host of Object.values(config.hosts)) for (const d of Object.values(host.delegations)) components.add(d.jid);
  const state = new Map<string, { connected: boolean; counts: Record<string, DelegationCounts> }>();
  await Promise.all([...components].map(async (jid) => {
    try {
      const stub = ports.component(jid);
      const [status, counts] = await Promise.all([stub.connectionStatus(), stub.delegationCounts()]);
      state.set(jid, { connected: status.connected, counts });
    } catch {
      state.set(jid, { connected: false, counts: {} });
    }
  }));
  const out: Record<string, DelegationView[]> = {};
  for (const domain of Object.keys(config.hosts).sort()) {
    out[domain] = Object.values(config.hosts[domain]!.delegations)
      .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0))
      .map((d) => {
        const s = state.get(d.jid);
        return { namespace: d.namespace, component: d.jid, filtering: [...d.filtering], connected: s?.connected ?? false, counts: { ...(s?.counts[d.namespace] ?? ZERO) } };
      });
  }
  return out;
}
