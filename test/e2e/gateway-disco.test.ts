// Server-answered IQs and HTTP discovery.
// References: XEP-0030 §3.1-§3.2 (disco#info: identity + features; item-not-found for an
// unknown node), §4 (disco#items), §8 (accounts: no information leak to non-subscribers);
// XEP-0199 §4.2 (client-to-server ping); XEP-0092 §3 (software version); XEP-0156 §3
// (host-meta XRD and JRD with urn:xmpp:alt-connections:websocket); XEP-0160 (msgoffline).
import { beforeAll, describe, expect, it } from "vitest";
import { E2E_CONFIG } from "./support/config";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { nextId } from "./support/im";
import { RawXmpp, type Element, stanzaError } from "./support/raw-client";

const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";

const features = (r: Element) => r.getChild("query", INFO)!.getChildren("feature").map((f) => f.attrs.var);
const identities = (r: Element) => r.getChild("query", INFO)!.getChildren("identity").map((i) => ({ ...i.attrs }));

async function get(c: RawXmpp, to: string | null, payload: string): Promise<Element> {
  const id = nextId("d");
  const toAttr = to === null ? "" : ` to='${to}'`;
  return c.iq(`<iq xmlns='jabber:client' type='get' id='${id}'${toAttr}>${payload}</iq>`, id);
}

describe("the server (XEP-0030, XEP-0199, XEP-0092)", () => {
  let user: string;
  let c: RawXmpp & { jid: string };
  beforeAll(async () => {
    user = uniqueName("disco");
    await createUser(`${user}@reg.localhost`);
    await createUser(`${user}@localhost`);
    c = await RawXmpp.login(gatewayUrl(), { username: user, resource: "d", domain: "reg.localhost" });
    return () => c.close();
  });

  it("disco#info of the host: server/im identity and the core features", async () => {
    const r = await get(c, "reg.localhost", `<query xmlns='${INFO}'/>`);
    expect(r.attrs).toMatchObject({ type: "result", from: "reg.localhost", to: `${user}@reg.localhost/d` });
    expect(identities(r)).toEqual([{ category: "server", type: "im", name: "xmpp-edge" }]);
    expect(features(r)).toEqual(expect.arrayContaining([INFO, ITEMS, "urn:xmpp:ping", "jabber:iq:version", "msgoffline", "jabber:iq:register"]));
    // Each feature once (XEP-0030 §3.1).
    expect(new Set(features(r)).size).toBe(features(r).length);
  });

  it("disco#info of localhost has no jabber:iq:register (registration = false)", async () => {
    const l = await RawXmpp.login(gatewayUrl(), { username: user, resource: "l" });
    const r = await get(l, "localhost", `<query xmlns='${INFO}'/>`);
    expect(r.attrs.type).toBe("result");
    expect(identities(r)).toContainEqual({ category: "server", type: "im", name: "xmpp-edge" });
    expect(features(r)).toEqual(expect.arrayContaining([INFO, ITEMS, "urn:xmpp:ping", "jabber:iq:version", "msgoffline"]));
    expect(features(r)).not.toContain("jabber:iq:register");
    l.close();
  });

  it("disco#info with an unknown node gets item-not-found (XEP-0030 §3.2)", async () => {
    const r = await get(c, "reg.localhost", `<query xmlns='${INFO}' node='no-such-node'/>`);
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "item-not-found" });
  });

  it("disco#items of the host lists the components under its domain (XEP-0030 §4)", async () => {
    const r = await get(c, "localhost", `<query xmlns='${ITEMS}'/>`);
    expect(r.attrs.type).toBe("result");
    const items = r.getChild("query", ITEMS)!.getChildren("item").map((i) => i.attrs.jid).sort();
    expect(items).toEqual(Object.keys(E2E_CONFIG.components).filter((j) => j.endsWith(".localhost")).sort());
    expect(items).toContain("pubsub.localhost");
  });

  it("ping to the server is an empty result (XEP-0199 §4.2)", async () => {
    const r = await get(c, "reg.localhost", `<ping xmlns='urn:xmpp:ping'/>`);
    expect(r.attrs).toMatchObject({ type: "result", from: "reg.localhost" });
    expect(r.children).toEqual([]);
  });

  it("software version (XEP-0092 §3)", async () => {
    const r = await get(c, "reg.localhost", `<query xmlns='jabber:iq:version'/>`);
    const q = r.getChild("query", "jabber:iq:version")!;
    expect(q.getChildText("name")).toBe("xmpp-edge");
    expect(q.getChildText("version")).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("a set of a get-only payload gets service-unavailable", async () => {
    const id = nextId("s");
    const r = await c.iq(`<iq xmlns='jabber:client' type='set' id='${id}' to='reg.localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, id);
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
  });
});

describe("accounts (XEP-0030 §3, §8)", () => {
  it("the owner's disco#info of its bare JID: account/registered; a stranger gets service-unavailable", async () => {
    const owner = uniqueName("acct");
    const stranger = uniqueName("stranger");
    await createUser(`${owner}@reg.localhost`);
    await createUser(`${stranger}@reg.localhost`);
    const o = await RawXmpp.login(gatewayUrl(), { username: owner, resource: "o", domain: "reg.localhost" });
    const s = await RawXmpp.login(gatewayUrl(), { username: stranger, resource: "s", domain: "reg.localhost" });

    const mine = await get(o, `${owner}@reg.localhost`, `<query xmlns='${INFO}'/>`);
    expect(mine.attrs).toMatchObject({ type: "result", from: `${owner}@reg.localhost` });
    expect(identities(mine)).toEqual([{ category: "account", type: "registered" }]);
    expect(features(mine)).toEqual(expect.arrayContaining([INFO, ITEMS]));
    // Without 'to' the IQ is handled by the account on the user's behalf (RFC 6120 §10.3.3).
    const implicit = await get(o, null, `<query xmlns='${INFO}'/>`);
    expect(identities(implicit)).toEqual([{ category: "account", type: "registered" }]);
    const items = await get(o, `${owner}@reg.localhost`, `<query xmlns='${ITEMS}'/>`);
    expect(items.getChild("query", ITEMS)!.children).toEqual([]);

    const theirs = await get(s, `${owner}@reg.localhost`, `<query xmlns='${INFO}'/>`);
    expect(stanzaError(theirs)).toEqual({ type: "cancel", condition: "service-unavailable" });
    const theirItems = await get(s, `${owner}@reg.localhost`, `<query xmlns='${ITEMS}'/>`);
    expect(stanzaError(theirItems)).toEqual({ type: "cancel", condition: "service-unavailable" });
    o.close();
    s.close();
  });

  it("a ping to the user's own bare JID is answered by the server", async () => {
    const u = uniqueName("pingself");
    await createUser(`${u}@reg.localhost`);
    const c = await RawXmpp.login(gatewayUrl(), { username: u, resource: "p", domain: "reg.localhost" });
    const r = await get(c, `${u}@reg.localhost`, `<ping xmlns='urn:xmpp:ping'/>`);
    expect(r.attrs).toMatchObject({ type: "result", from: `${u}@reg.localhost` });
    c.close();
  });
});

describe("HTTP discovery (XEP-0156) and health", () => {
  it("host-meta (XRD) names the WebSocket endpoint", async () => {
    const res = await fetch(`${gatewayUrl()}/.well-known/host-meta`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/xrd+xml");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const body = await res.text();
    const ws = gatewayUrl().replace(/^http/, "ws") + "/xmpp-websocket";
    expect(body).toContain(`<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">`);
    expect(body).toContain(`<Link rel="urn:xmpp:alt-connections:websocket" href="${ws}"/>`);
  });

  it("host-meta.json (JRD) names the WebSocket endpoint", async () => {
    const res = await fetch(`${gatewayUrl()}/.well-known/host-meta.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const ws = gatewayUrl().replace(/^http/, "ws") + "/xmpp-websocket";
    expect(await res.json()).toEqual({ links: [{ rel: "urn:xmpp:alt-connections:websocket", href: ws }] });
  });

  it("the discovered URL works for a login", async () => {
    const json = (await (await fetch(`${gatewayUrl()}/.well-known/host-meta.json`)).json()) as { links: { href: string }[] };
    const c = await RawXmpp.open(json.links[0]!.href);
    const { open } = await c.openStream("localhost");
    expect(open.attrs.from).toBe("localhost");
    c.close();
  });

  it("GET /health is 200 JSON with the status and the hosts, and no components (issue 14 item 14)", async () => {
    const res = await fetch(`${gatewayUrl()}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["hosts", "status"]);
    expect(body.status).toBe("ok");
    expect((body.hosts as string[]).sort()).toEqual(Object.keys(E2E_CONFIG.hosts).sort());
    // The component list is behind the admin token now (GET /admin/components).
    const text = JSON.stringify(body);
    for (const c of Object.keys(E2E_CONFIG.components)) expect(text).not.toContain(c);
  });
});
