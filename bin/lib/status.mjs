// `xmpp-edge status`: what the console's first page shows (GET /admin/status), as text.
import { adminGet } from "./users.mjs";

/**
 * The status report, one item a line.
 * @param {{ url: string, token: string }} o
 */
export async function statusLines({ url, token }) {
  /** @type {{ config: string, web_client: boolean, hosts: {domain: string, accounts: number, registration: boolean}[], components: {jid: string, connected: boolean, since: string | null, has_secret: boolean}[] }} */
  const s = await adminGet(url, token, "/status");
  const lines = [`gateway ${url}: configuration ${s.config}, web client ${s.web_client ? "on" : "off"}`];
  for (const h of s.hosts) {
    lines.push(`host ${h.domain}: ${h.accounts} account${h.accounts === 1 ? "" : "s"}, registration ${h.registration ? "open" : "closed"}`);
  }
  for (const c of s.components) {
    const since = c.since ? ` since ${c.since}` : "";
    lines.push(`component ${c.jid}: ${c.connected ? "connected" : "not connected"}${since}${c.has_secret ? "" : " (no secret configured)"}`);
  }
  return lines;
}
