// XEP-0355 timeouts and persistence, on private gateways (the shared one keeps the
// 30 s default): a short `delegation_timeout_ms`, a pending request that outlives an
// idle period long enough for the router object to be evicted, and the refusal of a
// configuration that delegates urn:xmpp:delegation:2 itself.
// Checklist numbers (#n) refer to /work/shared/xep0355.md.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, startGateway, uniqueName, type Gateway } from "./support/gateway";
import { E2E_CONFIG } from "./support/config";
import { RawXmpp, type Element, stanzaError } from "./support/raw-client";

const HOST = "deleg.localhost";
const COMP = "deleg.comp.localhost";
const DNS = "urn:xmpp:delegation:2";
const FWD = "urn:xmpp:forward:0";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const TIMEOUT_MS = 2000;
const LONG_TIMEOUT_MS = 40000;

async function nextForward(comp: RawXmpp, ms = 5000): Promise<Element> {
  return comp.next((el) => el.getName() === "iq" && el.attrs.type === "set" && !!el.getChild("delegation", DNS), ms);
}

function wrappedReply(outer: Element, innerXml: string): string {
  return `<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='result' id='${outer.attrs.id}'>` +
    `<delegation xmlns='${DNS}'><forwarded xmlns='${FWD}'>${innerXml}</forwarded></delegation></iq>`;
}

/** A gateway with the e2e configuration and another delegation timeout. */
function withTimeout(ms: number): Promise<Gateway> {
  return startGateway({ vars: { XMPP_CONFIG: JSON.stringify({ ...E2E_CONFIG, delegation_timeout_ms: ms }) } });
}

describe("a component that does not answer in time", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await withTimeout(TIMEOUT_MS);
  }, 90_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it("gets the sender service-unavailable after delegation_timeout_ms, and its late answer is dropped", async () => {
    const name = uniqueName("alice");
    await createUser(`${name}@${HOST}`, "pw", gw.url);
    const comp = await RawXmpp.component(gw.url, COMP, "deleg-secret");
    const a = await RawXmpp.login(gw.url, { username: name, domain: HOST, resource: "slow" });
    const started = Date.now();
    a.send(`<iq xmlns='jabber:client' type='get' id='slow1'><pubsub xmlns='${PUBSUB}'><items node='n'/></pubsub></iq>`);
    const outer = await nextForward(comp);
    const r = await a.next((el) => el.attrs.id === "slow1", TIMEOUT_MS + 8000);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(waited).toBeLessThan(TIMEOUT_MS + 6000);
    expect(r.attrs).toMatchObject({ type: "error", from: `${name}@${HOST}`, to: a.jid });
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    // the request is forgotten: a late answer reaches nobody
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='slow1'/>`));
    await a.nothing((el) => el.attrs.id === "slow1", 800);
    await comp.nothing((el) => el.attrs.id === outer.attrs.id, 200);
    expect(gw.log()).toContain(`"event":"delegation-timeout"`);
    expect(gw.log()).toContain(`"event":"delegation-reply-dropped"`);
    a.close();
    comp.close();
  }, 30_000);
});

describe("pending requests live in the router's storage", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await withTimeout(LONG_TIMEOUT_MS);
  }, 90_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it("an answer after a long idle period (router object evicted meanwhile) still reaches the sender", async () => {
    const name = uniqueName("alice");
    await createUser(`${name}@${HOST}`, "pw", gw.url);
    const comp = await RawXmpp.component(gw.url, COMP, "deleg-secret");
    const a = await RawXmpp.login(gw.url, { username: name, domain: HOST, resource: "idle" });
    a.send(`<iq xmlns='jabber:client' type='set' id='idle1'><pubsub xmlns='${PUBSUB}'><publish node='n'/></pubsub></iq>`);
    const outer = await nextForward(comp);
    // Local workerd evicts an idle Durable Object after about 10 s (STACK.md: evicted at 15 s).
    await new Promise((r) => setTimeout(r, 16_000));
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='idle1'/>`));
    const r = await a.next((el) => el.attrs.id === "idle1", 5000);
    expect(r.attrs).toMatchObject({ type: "result", from: `${name}@${HOST}`, to: a.jid });
    a.close();
    comp.close();
  }, 40_000);
});

describe("configuration (#6)", () => {
  it("refuses to delegate urn:xmpp:delegation:2 itself: /health answers 500 naming the key", async () => {
    const config = structuredClone(E2E_CONFIG) as { hosts: Record<string, Record<string, unknown>> };
    config.hosts["deleg.localhost"] = { delegations: { [DNS]: { jid: COMP } } };
    const gw = await startGateway({ vars: { XMPP_CONFIG: JSON.stringify(config) }, expectHealthy: false });
    try {
      const res = await fetch(`${gw.url}/health`);
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: string };
      expect(body.error).toBe(
        `invalid configuration: XMPP_CONFIG.hosts["deleg.localhost"].delegations["urn:xmpp:delegation:2"]: ` +
          "urn:xmpp:delegation:2 itself MUST NOT be delegated (XEP-0355 §Business rules)",
      );
    } finally {
      await gw.stop();
    }
  }, 90_000);
});
