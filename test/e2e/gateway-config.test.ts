// An invalid configuration is refused as a whole, naming the bad key (CONTRACT.md
// "Configuration": /health and every endpoint answer 500, and the message is logged).
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, E2E_CONFIG } from "./support/config";
import { startGateway, type Gateway } from "./support/gateway";
import { RawXmpp, wsUrlFor } from "./support/raw-client";

describe("invalid XMPP_CONFIG", () => {
  const gateways: Gateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
  });

  it("a bad limit: 500 everywhere, naming XMPP_CONFIG.limits.burst, and logged", async () => {
    const bad = { ...E2E_CONFIG, limits: { ...E2E_CONFIG.limits, burst: 0 } };
    const gw = await startGateway({ vars: { XMPP_CONFIG: JSON.stringify(bad) }, expectHealthy: false });
    gateways.push(gw);
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(500);
    const body = (await health.json()) as { error: string };
    expect(body.error).toContain("XMPP_CONFIG.limits.burst");
    expect(body.error).toMatch(/between|at least|>=|minimum|1/);

    // Every endpoint, not only /health: nothing is half-applied.
    const admin = await fetch(`${gw.url}/admin/users/a@localhost`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(admin.status).toBe(500);
    expect(await admin.text()).toContain("XMPP_CONFIG.limits.burst");
    expect((await fetch(`${gw.url}/.well-known/host-meta`)).status).toBe(500);
    await expect(RawXmpp.open(wsUrlFor(gw.url))).rejects.toThrow("HTTP 500");

    // The same message is logged.
    const deadline = Date.now() + 5000;
    while (!gw.log().includes("XMPP_CONFIG.limits.burst") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(gw.log()).toContain("XMPP_CONFIG.limits.burst");
  });

  it("an unknown key in a host is named with its full path", async () => {
    const bad = { ...E2E_CONFIG, hosts: { ...E2E_CONFIG.hosts, "reg.localhost": { registraton: true } } };
    const gw = await startGateway({ vars: { XMPP_CONFIG: JSON.stringify(bad) }, expectHealthy: false });
    gateways.push(gw);
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { status: string; error: string };
    expect(body.status).toBe("error");
    expect(body.error).toContain(`XMPP_CONFIG.hosts["reg.localhost"].registraton: unknown key`);
  });
});
