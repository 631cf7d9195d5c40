// Account listing and sessions per host, from the host's directory (one RPC per page)
// and, for sessions, each listed account's resources (one RPC per account on the page).
import type { Ports } from "../ports/ports";
import type { GatewayConfig } from "../config";
import { DEFAULT_PAGE, MAX_PAGE, type AccountPage } from "../admin/account-directory";

export interface PageQuery {
  after: string;
  limit: number;
}

/** `?after=JID&limit=N`; a missing or bad limit is the default, a large one is capped. */
export function pageQuery(after: string | undefined, limit: string | undefined): PageQuery {
  const n = limit === undefined ? NaN : Number(limit);
  return { after: after ?? "", limit: Number.isInteger(n) && n > 0 ? Math.min(n, MAX_PAGE) : DEFAULT_PAGE };
}

export async function accountPage(ports: Ports, host: string, q: PageQuery): Promise<AccountPage> {
  return ports.host(host).accountPage(q.after, q.limit);
}

export interface SessionView {
  jid: string;
  resources: Array<{ resource: string; available: boolean; priority: number }>;
}

/** The accounts of one directory page that have at least one bound resource. */
export async function sessionsPage(ports: Ports, host: string, q: PageQuery): Promise<{ sessions: SessionView[]; next: string | null }> {
  const page = await accountPage(ports, host, q);
  const views = await Promise.all(page.accounts.map(async (jid) => {
    try {
      return { jid, resources: await ports.account(jid).listResources() };
    } catch {
      return { jid, resources: [] };
    }
  }));
  return { sessions: views.filter((v) => v.resources.length > 0), next: page.next };
}

/** The host part of the path, when it is a configured host. */
export function configuredHost(config: GatewayConfig, raw: string): string | null {
  const host = raw.toLowerCase();
  return config.hosts[host] ? host : null;
}
