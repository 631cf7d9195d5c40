// XEP-0114 components on /xmpp-component (RFC 7395 framing), against the real
// gateway: handshake outcomes, routing both ways with clients on /xmpp-websocket,
// forged from, replacement, offline behaviour, component to component, hibernation.
// References: XEP-0114 §3, CONTRACT.md "Component sockets", RFC 6120 §4.9.3.6
// (host-unknown), §4.9.3.12 (not-authorized), §4.9.3.3 (conflict), §8.3.3.5
// (forbidden), §8.3.3.19 (service-unavailable), RFC 6121 §3.1 (subscription requests).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_SECRETS } from "./support/config";
import { createUser, gatewayUrl, startGateway, uniqueName, wsUrl, type Gateway } from "./support/gateway";
import { NS_FRAMING, RawXmpp, type Element, is, openFrame, stanzaError, streamCondition } from "./support/raw-client";
import { isPresence, isPush, nextId, online, pushItem, rosterGet, rosterItems } from "./support/im";

const COMP = "comp.localhost";
const OTHER = "pubsub.localhost";
const NS_COMPONENT = "jabber:component:accept";
const STREAM_NS = "http://etherx.jabber.org/streams";

const component = (jid = COMP, base = gatewayUrl()) => RawXmpp.component(base, jid, COMPONENT_SECRETS[jid]!);

/** Ends a stream politely and waits for the socket to close. */
async function bye(c: RawXmpp): Promise<void> {
  c.send(`<close xmlns='${NS_FRAMING}'/>`);
  await c.closed;
}

/** `<stream:error><condition/></stream:error>`, `<close/>`, then the WebSocket closes. */
async function expectStreamError(c: RawXmpp, condition: string): Promise<Element> {
  const err = await c.next(is.streamError());
  expect(err.name).toBe("stream:error");
  expect(err.attrs["xmlns:stream"]).toBe(STREAM_NS);
  expect(streamCondition(err)).toBe(condition);
  const close = await c.next();
  expect(close.toString()).toBe(`<close xmlns="${NS_FRAMING}"/>`);
  expect((await c.closed).code).toBe(1000);
  return err;
}

async function user(prefix: string): Promise<{ name: string; bare: string }> {
  const name = uniqueName(prefix);
  await createUser(`${name}@localhost`);
  return { name, bare: `${name}@localhost` };
}

describe("the handshake", () => {
  it("answers <open/> with the component's JID and a fresh stream id, and the right digest with <handshake/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl(), "/xmpp-component"));
    c.send(openFrame(COMP));
    const open = await c.next(is.open());
    expect(open.attrs).toMatchObject({ xmlns: NS_FRAMING, from: COMP, version: "1.0" });
    expect(open.attrs.id).toMatch(/^[0-9a-f]{16,}$/);
    const hex = createHash("sha1").update(open.attrs.id + COMPONENT_SECRETS[COMP]!).digest("hex");
    c.send(`<handshake xmlns='${NS_COMPONENT}'>${hex}</handshake>`);
    const ok = await c.next();
    expect(ok.toString()).toBe(`<handshake xmlns="${NS_COMPONENT}"/>`);
    await bye(c);
  });

  it("two connections get different stream ids", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await RawXmpp.open(wsUrl(gatewayUrl(), "/xmpp-component"));
      c.send(openFrame(COMP));
      ids.push((await c.next(is.open())).attrs.id!);
      await bye(c);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("a wrong secret gets <not-authorized/>, then <close/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl(), "/xmpp-component"));
    c.send(openFrame(COMP));
    const open = await c.next(is.open());
    const hex = createHash("sha1").update(open.attrs.id + "not-the-secret").digest("hex");
    c.send(`<handshake xmlns='${NS_COMPONENT}'>${hex}</handshake>`);
    await expectStreamError(c, "not-authorized");
  });

  it("a stanza instead of the handshake gets <not-authorized/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl(), "/xmpp-component"));
    c.send(openFrame(COMP));
    await c.next(is.open());
    c.send(`<message xmlns='${NS_COMPONENT}' to='someone@localhost' from='${COMP}'><body>x</body></message>`);
    await expectStreamError(c, "not-authorized");
  });

  it("an unknown component gets <open/>, then <host-unknown/>, then <close/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl(), "/xmpp-component"));
    c.send(openFrame("nope.localhost"));
    const open = await c.next();
    expect(open.getName()).toBe("open");
    expect(open.attrs.from).toBe("nope.localhost");
    await expectStreamError(c, "host-unknown");
  });

  it("a host (not a component) on the component endpoint is unknown too", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl(), "/xmpp-component"));
    c.send(openFrame("localhost"));
    await c.next(is.open());
    await expectStreamError(c, "host-unknown");
  });
});

describe("routing between a component and clients", () => {
  it("a client's message reaches the component and the component's reply reaches the client", async () => {
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "phone" });
    const comp = await component();
    a.send(`<message xmlns='jabber:client' to='bot@${COMP}' type='chat' id='m1'><body>hello bot</body></message>`);
    const got = await comp.next(is.message());
    expect(got.attrs).toMatchObject({ xmlns: NS_COMPONENT, from: a.jid, to: `bot@${COMP}`, id: "m1", type: "chat" });
    expect(got.getChildText("body")).toBe("hello bot");

    comp.send(`<message xmlns='${NS_COMPONENT}' from='bot@${COMP}/x' to='${a.jid}' type='chat' id='m2'><body>hello alice</body></message>`);
    const back = await a.next(is.message());
    expect(back.attrs).toMatchObject({ xmlns: "jabber:client", from: `bot@${COMP}/x`, to: a.jid, id: "m2" });
    expect(back.getChildText("body")).toBe("hello alice");
    await bye(comp);
    a.close();
  });

  it("a stanza with no namespace and no from is taken as from the component itself", async () => {
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const comp = await component();
    comp.send(`<message to='${a.jid}' id='n1'><body>plain</body></message>`);
    const got = await a.next(is.message());
    expect(got.attrs).toMatchObject({ from: COMP, to: a.jid, id: "n1" });
    await bye(comp);
    a.close();
  });

  it("a client's IQ to the component is answered by the component, and the answer is routed back", async () => {
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const comp = await component();
    const id = nextId("disco");
    a.send(`<iq xmlns='jabber:client' type='get' id='${id}' to='${COMP}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    const req = await comp.next(is.iq(id));
    expect(req.attrs).toMatchObject({ xmlns: NS_COMPONENT, type: "get", from: a.jid, to: COMP });
    comp.send(
      `<iq xmlns='${NS_COMPONENT}' type='result' id='${id}' from='${COMP}' to='${a.jid}'>` +
        `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='component' type='generic' name='Test'/></query></iq>`,
    );
    const res = await a.next(is.iq(id));
    expect(res.attrs).toMatchObject({ type: "result", from: COMP, to: a.jid });
    expect(res.getChild("query")?.getChild("identity")?.attrs.name).toBe("Test");
    await bye(comp);
    a.close();
  });

  it("the component's IQ to a client's full JID is answered by the client", async () => {
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const comp = await component();
    const id = nextId("ping");
    comp.send(`<iq xmlns='${NS_COMPONENT}' type='get' id='${id}' from='${COMP}' to='${a.jid}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const req = await a.next(is.iq(id));
    expect(req.attrs).toMatchObject({ type: "get", from: COMP, to: a.jid });
    a.send(`<iq xmlns='jabber:client' type='result' id='${id}' to='${COMP}'/>`);
    const res = await comp.next(is.iq(id));
    expect(res.attrs).toMatchObject({ xmlns: NS_COMPONENT, type: "result", from: a.jid, to: COMP });
    await bye(comp);
    a.close();
  });

  it("the component's IQs to the host and to a user's bare JID are answered by the server", async () => {
    const alice = await user("alice");
    const comp = await component();
    const hostInfo = await comp.iq(`<iq type='get' id='h1' from='${COMP}' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, "h1");
    expect(hostInfo.attrs).toMatchObject({ xmlns: NS_COMPONENT, type: "result", from: "localhost", to: COMP });
    expect(hostInfo.getChild("query")?.getChild("identity")?.attrs).toMatchObject({ category: "server", type: "im" });
    const ping = await comp.iq(`<iq type='get' id='h2' from='${COMP}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "h2");
    expect(ping.attrs.type).toBe("result");
    const unknown = await comp.iq(`<iq type='get' id='h3' from='${COMP}' to='localhost'><nope xmlns='urn:example:nope'/></iq>`, "h3");
    expect(stanzaError(unknown)).toEqual({ type: "cancel", condition: "service-unavailable" });
    const bare = await comp.iq(`<iq type='get' id='b1' from='${COMP}' to='${alice.bare}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, "b1");
    // XEP-0030 §8: the server answers for the account, and hides it from an unsubscribed entity.
    expect(bare.attrs).toMatchObject({ type: "error", from: alice.bare, to: COMP });
    expect(stanzaError(bare)).toEqual({ type: "cancel", condition: "service-unavailable" });
    await bye(comp);
  });

  it("a component's presence reaches the user, and its subscription request lands in the user's roster", async () => {
    const alice = await user("alice");
    const a = await online(gatewayUrl(), alice.name, "r");
    const comp = await component();
    comp.send(`<presence from='${COMP}' to='${alice.bare}'><status>ready</status></presence>`);
    const pres = await a.next(isPresence(COMP));
    expect(pres.getChildText("status")).toBe("ready");

    comp.send(`<presence type='subscribe' from='${COMP}' to='${alice.bare}'/>`);
    const req = await a.next(isPresence(COMP, "subscribe"));
    expect(req.attrs.to).toBe(alice.bare);
    a.send(`<presence xmlns='jabber:client' type='subscribed' to='${COMP}'/>`);
    const push = await a.next(isPush(COMP));
    expect(pushItem(push)).toMatchObject({ jid: COMP, subscription: "from" });
    const approved = await comp.next((el) => el.getName() === "presence" && el.attrs.type === "subscribed");
    expect(approved.attrs).toMatchObject({ from: alice.bare, to: COMP });
    // RFC 6121 §3.1.5: after approving, the contact gets the user's current presence.
    const current = await comp.next((el) => el.getName() === "presence" && el.attrs.type === undefined);
    expect(current.attrs.from).toBe(a.jid);
    const roster = rosterItems(await rosterGet(a));
    expect(roster.find((i) => i.jid === COMP)).toMatchObject({ jid: COMP, subscription: "from" });
    await bye(comp);
    a.close();
  });

  it("a component can address another component", async () => {
    const one = await component(COMP);
    const two = await component(OTHER);
    one.send(`<message from='relay@${COMP}' to='node@${OTHER}' id='c2c'><body>between components</body></message>`);
    const got = await two.next((el) => el.getName() === "message" && el.attrs.id === "c2c");
    expect(got.attrs).toMatchObject({ xmlns: NS_COMPONENT, from: `relay@${COMP}`, to: `node@${OTHER}` });
    expect(got.getChildText("body")).toBe("between components");
    two.send(`<iq type='get' id='c2c-iq' from='${OTHER}' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const req = await one.next(is.iq("c2c-iq"));
    expect(req.attrs).toMatchObject({ from: OTHER, to: COMP, type: "get" });
    one.send(`<iq type='result' id='c2c-iq' from='${COMP}' to='${OTHER}'/>`);
    const res = await two.next(is.iq("c2c-iq"));
    expect(res.attrs).toMatchObject({ type: "result", from: COMP, to: OTHER });
    await bye(one);
    await bye(two);
  });
});

describe("what a component may not do", () => {
  it("a forged from is answered with <forbidden/> and never routed", async () => {
    const bob = await user("bob");
    const b = await RawXmpp.login(gatewayUrl(), { username: bob.name, resource: "r" });
    const comp = await component();
    comp.send(`<message from='admin@localhost' to='${b.jid}' id='forged'><body>trust me</body></message>`);
    const err = await comp.next(is.message());
    expect(err.attrs).toMatchObject({ xmlns: NS_COMPONENT, type: "error", id: "forged", from: COMP, to: "admin@localhost" });
    expect(stanzaError(err)).toEqual({ type: "auth", condition: "forbidden" });
    comp.send(`<iq type='get' id='forged-iq' from='${OTHER}' to='${b.jid}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const iqErr = await comp.next(is.iq("forged-iq"));
    expect(stanzaError(iqErr)).toEqual({ type: "auth", condition: "forbidden" });
    await b.nothing(() => true, 700);
    // The stream stays usable.
    comp.send(`<message from='${COMP}' to='${b.jid}' id='honest'><body>hi</body></message>`);
    expect((await b.next(is.message())).attrs.id).toBe("honest");
    await bye(comp);
    b.close();
  });

  it("a non-stanza element after the handshake ends the stream with <unsupported-stanza-type/>", async () => {
    const comp = await component();
    comp.send(`<foo xmlns='${NS_COMPONENT}'/>`);
    await expectStreamError(comp, "unsupported-stanza-type");
  });
});

describe("connection life cycle", () => {
  it("a second connection replaces the first, which gets <conflict/>; traffic goes to the new one", async () => {
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const first = await component();
    const second = await component();
    await expectStreamError(first, "conflict");
    a.send(`<message xmlns='jabber:client' to='${COMP}' id='after'><body>who gets this</body></message>`);
    expect((await second.next(is.message())).attrs.id).toBe("after");
    await bye(second);
    a.close();
  });

  it("stanzas to a component reach it straight and in order, follow it to a new connection, and bounce once it is gone", async () => {
    // The first stanza passes the component's mailbox and teaches the sender's isolate the
    // route; the rest go to the component's connection directly (src/routing/direct.ts). A
    // route gone stale (the component reconnected, then left) must cost nothing.
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const first = await component();
    const ask = (c: RawXmpp, id: string) => {
      a.send(`<iq xmlns='jabber:client' type='get' id='${id}' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      return c.next(is.iq(id));
    };
    for (let i = 0; i < 5; i++) {
      const q = await ask(first, `d${i}`);
      expect(q.attrs).toMatchObject({ xmlns: NS_COMPONENT, type: "get", from: a.jid, to: COMP });
      first.send(`<iq xmlns='${NS_COMPONENT}' type='result' id='d${i}' from='${COMP}' to='${a.jid}'/>`);
      expect((await a.next(is.iq(`d${i}`))).attrs).toMatchObject({ type: "result", from: COMP });
    }
    for (let i = 0; i < 5; i++) a.send(`<message xmlns='jabber:client' to='bot@${COMP}' id='o${i}'><body>${i}</body></message>`);
    for (let i = 0; i < 5; i++) expect((await first.next(is.message())).attrs).toMatchObject({ xmlns: NS_COMPONENT, id: `o${i}`, from: a.jid });
    const second = await component();
    await expectStreamError(first, "conflict");
    for (const id of ["n1", "n2"]) {
      expect((await ask(second, id)).attrs.from).toBe(a.jid);
      second.send(`<iq xmlns='${NS_COMPONENT}' type='result' id='${id}' from='${COMP}' to='${a.jid}'/>`);
      expect((await a.next(is.iq(id))).attrs.type).toBe("result");
    }
    await bye(second);
    const gone = await a.iq(`<iq xmlns='jabber:client' type='get' id='g1' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`, "g1");
    expect(gone.attrs).toMatchObject({ type: "error", from: COMP, to: a.jid });
    expect(stanzaError(gone)).toEqual({ type: "cancel", condition: "service-unavailable" });
    a.close();
  });

  it("an offline component: messages and IQs get <service-unavailable/>, presences are dropped", async () => {
    const comp = await component();
    await bye(comp); // make sure nothing is attached
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    a.send(`<message xmlns='jabber:client' to='bot@${COMP}' id='off1'><body>anyone?</body></message>`);
    const m = await a.next(is.message());
    expect(m.attrs).toMatchObject({ type: "error", id: "off1", from: `bot@${COMP}`, to: a.jid });
    expect(stanzaError(m)).toEqual({ type: "cancel", condition: "service-unavailable" });
    const iq = await a.iq(`<iq xmlns='jabber:client' type='get' id='off2' to='${COMP}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, "off2");
    expect(iq.attrs).toMatchObject({ type: "error", from: COMP });
    expect(stanzaError(iq)).toEqual({ type: "cancel", condition: "service-unavailable" });
    a.send(`<presence xmlns='jabber:client' to='${COMP}'/>`);
    a.send(`<presence xmlns='jabber:client' type='subscribe' to='${COMP}'/>`);
    await a.nothing((el) => el.getName() === "presence" || (el.getName() === "message" && el.attrs.type === "error"), 700);
    a.close();
  });

  it("a dropped component socket (no <close/>) makes it offline", async () => {
    const comp = await component();
    comp.terminate();
    await comp.closed;
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const iq = await a.iq(`<iq xmlns='jabber:client' type='get' id='gone1' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`, "gone1");
    expect(stanzaError(iq).condition).toBe("service-unavailable");
    a.close();
  });

  it("IQs written to a component that goes away unanswered get <service-unavailable/> from where they were sent; answered ones do not (RFC 6120 §8.2.3)", async () => {
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const comp = await component();
    a.send(`<iq xmlns='jabber:client' type='get' id='left1' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    a.send(`<iq xmlns='jabber:client' type='set' id='left2' to='bot@${COMP}'><query xmlns='jabber:iq:private'/></iq>`);
    a.send(`<iq xmlns='jabber:client' type='get' id='done1' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    for (const id of ["left1", "left2", "done1"]) await comp.next(is.iq(id));
    comp.send(`<iq xmlns='${NS_COMPONENT}' type='result' id='done1' from='${COMP}' to='${a.jid}'/>`);
    expect((await a.next(is.iq("done1"))).attrs.type).toBe("result");
    await bye(comp); // leaves two requests unanswered
    for (const [id, from] of [["left1", COMP], ["left2", `bot@${COMP}`]] as const) {
      const r = await a.next(is.iq(id));
      expect(r.attrs).toMatchObject({ type: "error", from, to: a.jid });
      expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    }
    await a.nothing(is.iq("done1"), 500); // answered once, never again
    a.close();
  });

  it("an idle component connection survives the objects' hibernation (12 s idle) and still routes both ways", async () => {
    const alice = await user("alice");
    const a = await RawXmpp.login(gatewayUrl(), { username: alice.name, resource: "r" });
    const comp = await component();
    await new Promise((r) => setTimeout(r, 12_000));
    a.send(`<message xmlns='jabber:client' to='${COMP}' id='late'><body>still there?</body></message>`);
    expect((await comp.next(is.message())).attrs).toMatchObject({ id: "late", from: a.jid });
    comp.send(`<message from='${COMP}' to='${a.jid}' id='late-reply'><body>yes</body></message>`);
    expect((await a.next(is.message())).attrs.id).toBe("late-reply");
    await bye(comp);
    a.close();
  }, 30_000);
});

describe("logs", () => {
  const SECRET = `log-secret-${Math.random().toString(36).slice(2)}`;
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ vars: { COMPONENT_SECRETS: JSON.stringify({ ...COMPONENT_SECRETS, [COMP]: SECRET }) } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("record each handshake outcome by component, without the secret or the digest", async () => {
    const good = await RawXmpp.component(gw.url, COMP, SECRET);
    await bye(good);
    const bad = await RawXmpp.open(wsUrl(gw.url, "/xmpp-component"));
    bad.send(openFrame(COMP));
    const open = await bad.next(is.open());
    const wrongHex = createHash("sha1").update(open.attrs.id + SECRET + "x").digest("hex");
    bad.send(`<handshake xmlns='${NS_COMPONENT}'>${wrongHex}</handshake>`);
    await expectStreamError(bad, "not-authorized");
    await new Promise((r) => setTimeout(r, 500)); // let wrangler flush its output
    const log = gw.log();
    expect(log).toContain(`"event":"component-handshake","component":"${COMP}","outcome":"ok"`);
    expect(log).toContain(`"event":"component-handshake","component":"${COMP}","outcome":"not-authorized","reason":"wrong handshake"`);
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(wrongHex);
  });
});
