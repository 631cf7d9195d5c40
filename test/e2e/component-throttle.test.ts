// Failed component handshakes are throttled per client address like failed logins:
// they count in the same per-IP counter (THROTTLE "ip:ADDRESS"), and from
// limits.auth_failures_before_delay failures on, the <not-authorized/> answer waits
// 1 s, 2 s, 4 s, then at most 5 s. A private gateway (fresh counters, threshold 2).
// References: XEP-0114 §3, RFC 6120 §4.9.3.12 (not-authorized); src/component/component-stream.ts.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_SECRETS, E2E_CONFIG } from "./support/config";
import { startGateway, wsUrl, type Gateway } from "./support/gateway";
import { RawXmpp, is, openFrame, streamCondition } from "./support/raw-client";

const COMP = "comp.localhost";

let gw: Gateway;
beforeAll(async () => {
  const config = { ...E2E_CONFIG, limits: { ...E2E_CONFIG.limits, auth_failures_before_delay: 2 } };
  gw = await startGateway({ vars: { XMPP_CONFIG: JSON.stringify(config) } });
});
afterAll(async () => {
  await gw?.stop();
});

/** One connection with a wrong handshake: the milliseconds from the handshake to <not-authorized/>. */
async function failedHandshake(): Promise<number> {
  const c = await RawXmpp.open(wsUrl(gw.url, "/xmpp-component"));
  c.send(openFrame(COMP));
  const open = await c.next(is.open());
  const hex = createHash("sha1").update(open.attrs.id + "wrong").digest("hex");
  const t0 = Date.now();
  c.send(`<handshake xmlns='jabber:component:accept'>${hex}</handshake>`);
  const err = await c.next(is.streamError(), 15_000);
  const elapsed = Date.now() - t0;
  expect(streamCondition(err)).toBe("not-authorized");
  await c.closed;
  return elapsed;
}

describe("handshake failures from one address", () => {
  it("are answered at once below the threshold, then after 1 s, 2 s, 4 s and 5 s (the cap)", async () => {
    const t = [];
    for (let i = 0; i < 5; i++) t.push(await failedHandshake());
    expect(t[0]).toBeLessThan(800);
    expect(t[1]).toBeGreaterThanOrEqual(950);
    expect(t[1]).toBeLessThan(1800);
    expect(t[2]).toBeGreaterThanOrEqual(1950);
    expect(t[2]).toBeLessThan(2800);
    expect(t[3]).toBeGreaterThanOrEqual(3950);
    expect(t[3]).toBeLessThan(4800);
    expect(t[4]).toBeGreaterThanOrEqual(4950); // 8 s without the cap
    expect(t[4]).toBeLessThan(5800);
  }, 40_000);

  it("do not slow down the right secret", async () => {
    const t0 = Date.now();
    const c = await RawXmpp.component(gw.url, COMP, COMPONENT_SECRETS[COMP]!);
    expect(Date.now() - t0).toBeLessThan(800);
    c.close();
  });
});
