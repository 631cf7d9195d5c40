// Bad input and error rules over a real WebSocket.
// References: RFC 7395 §3.1 (subprotocol), §3.6 (closing: <stream:error/> then <close/>),
// RFC 6120 §4.9.1.2 (stream header before the error), §4.9.3 (stream error conditions),
// §8.1.2.1 (from stamping), §8.2.3 / §8.3.1 (IQ rules, never answer a result or error),
// §8.3.3 (stanza error conditions and types), §8.4 (service-unavailable for unknown payloads),
// §11.1 (restricted XML), RFC 6121 §8.5.1 (no such user), §8.5.2 (messages to the bare JID).
import { beforeAll, describe, expect, it } from "vitest";
import { E2E_CONFIG } from "./support/config";
import { createUser, gatewayUrl, uniqueName, wsUrl } from "./support/gateway";
import { NS_FRAMING, NS_STREAMS, RawXmpp, type Element, is, openFrame, stanzaError, streamCondition } from "./support/raw-client";

const STREAM_NS = "http://etherx.jabber.org/streams";

/** Waits for `<stream:error><condition/></stream:error>`, then `<close/>`, then the socket close. */
async function expectStreamError(c: RawXmpp, condition: string): Promise<Element> {
  const err = await c.next(is.streamError());
  expect(err.name).toBe("stream:error");
  expect(err.attrs["xmlns:stream"]).toBe(STREAM_NS);
  expect(streamCondition(err)).toBe(condition);
  const close = await c.next(() => true);
  expect(close.toString()).toBe(`<close xmlns="${NS_FRAMING}"/>`);
  const closed = await c.closed;
  expect(closed.code).toBe(1000);
  return err;
}

/** RFC 6120 §4.9.1.2: the server's stream header comes first even when the client's caused the error. */
async function expectHeader(c: RawXmpp, from = "localhost"): Promise<void> {
  const open = await c.next(() => true);
  expect(open.getName()).toBe("open");
  expect(open.attrs.xmlns).toBe(NS_FRAMING);
  expect(open.attrs.from).toBe(from);
  expect(open.attrs.id).toBeTruthy();
}

describe("the WebSocket upgrade (RFC 7395 §3.1)", () => {
  it("refuses an upgrade without the xmpp subprotocol with HTTP 400", async () => {
    await expect(RawXmpp.open(wsUrl(gatewayUrl()), [])).rejects.toThrow("upgrade refused: HTTP 400");
    await expect(RawXmpp.open(wsUrl(gatewayUrl()), ["mqtt"])).rejects.toThrow("upgrade refused: HTTP 400");
  });

  it("accepts xmpp among several offered subprotocols and selects it", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()), ["chat", "xmpp"]);
    expect(c.ws.protocol).toBe("xmpp");
    c.close();
  });

  it("answers a plain GET (no upgrade) with 426", async () => {
    const res = await fetch(`${gatewayUrl()}/xmpp-websocket`);
    expect(res.status).toBe(426);
  });
});

describe("stream errors before authentication", () => {
  it("unknown host: <open/> first, then <host-unknown/>, then <close/> (RFC 6120 §4.9.1.2, §4.9.3.6)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    c.send(openFrame("nowhere.example"));
    const open = await c.next(() => true);
    expect(open.getName()).toBe("open");
    expect(open.attrs.xmlns).toBe(NS_FRAMING);
    expect(open.attrs.from).toBe("nowhere.example");
    await expectStreamError(c, "host-unknown");
  });

  it("an <open/> in the wrong namespace gets <invalid-namespace/> (RFC 6120 §4.9.3.10)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    c.send(`<open xmlns='jabber:client' to='localhost' version='1.0'/>`);
    await expectHeader(c);
    await expectStreamError(c, "invalid-namespace");
  });

  it("an <open/> with version 2.0 gets <unsupported-version/> (RFC 6120 §4.9.3.25)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    c.send(`<open xmlns='${NS_FRAMING}' to='localhost' version='2.0'/>`);
    await expectHeader(c);
    await expectStreamError(c, "unsupported-version");
  });

  it("an <open/> without 'to' gets <host-unknown/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    c.send(`<open xmlns='${NS_FRAMING}' version='1.0'/>`);
    await expectHeader(c, Object.keys(E2E_CONFIG.hosts)[0]);
    await expectStreamError(c, "host-unknown");
  });

  it("a stanza before authentication gets <not-authorized/> (RFC 6120 §4.9.3.12)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<message xmlns='jabber:client' to='someone@localhost'><body>hi</body></message>`);
    await expectStreamError(c, "not-authorized");
  });

  it("an IQ before authentication gets <not-authorized/> too", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`);
    await expectStreamError(c, "not-authorized");
  });

  it("malformed XML gets <not-well-formed/> (RFC 6120 §4.9.3.13)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<message xmlns='jabber:client'><body>unclosed</message>`);
    await expectStreamError(c, "not-well-formed");
  });

  it("garbage instead of <open/> gets a header, then <not-well-formed/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    c.send(`hello`);
    await expectHeader(c);
    await expectStreamError(c, "not-well-formed");
  });

  it("two elements in one frame get <not-well-formed/> (RFC 7395 §3.3.3)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>`);
    await expectStreamError(c, "not-well-formed");
  });

  it("an XML comment gets <restricted-xml/> (RFC 6120 §11.1, §4.9.3.18)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<presence xmlns='jabber:client'><!-- hello --></presence>`);
    await expectStreamError(c, "restricted-xml");
  });

  it("a processing instruction gets <restricted-xml/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<presence xmlns='jabber:client'><?evil data?></presence>`);
    await expectStreamError(c, "restricted-xml");
  });

  it("a DTD gets <restricted-xml/>", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    c.send(`<!DOCTYPE open [<!ENTITY x "y">]><open xmlns='${NS_FRAMING}' to='localhost' version='1.0'/>`);
    await expectHeader(c);
    await expectStreamError(c, "restricted-xml");
  });

  it("a binary frame that is not UTF-8 gets <unsupported-encoding/> (RFC 6120 §4.9.3.22)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    c.ws.send(Buffer.from([0x3c, 0xff, 0xfe, 0x3e]));
    await expectHeader(c);
    await expectStreamError(c, "unsupported-encoding");
  });

  it("a WebSocket Close from the client is answered at once (RFC 6455 §5.5.1, RFC 7395 §3.6)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    const t = Date.now();
    c.ws.close(1000, "bye");
    const closed = await c.closed;
    expect(closed.code).toBe(1000);
    expect(Date.now() - t).toBeLessThan(3000);
  });

  it("<close/> is answered with <close/> and the socket closes (RFC 7395 §3.6)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<close xmlns='${NS_FRAMING}'/>`);
    const close = await c.next(() => true);
    expect(close.toString()).toBe(`<close xmlns="${NS_FRAMING}"/>`);
    expect((await c.closed).code).toBe(1000);
  });
});

describe("errors on a bound stream", () => {
  const alice = uniqueName("err-alice");
  const bob = uniqueName("err-bob");
  beforeAll(async () => {
    await createUser(`${alice}@localhost`);
    await createUser(`${bob}@localhost`);
  });

  it("a stanza over 256 KiB gets <policy-violation/> and the stream is closed (default max_stanza_size)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "big" });
    const body = "x".repeat(300 * 1024);
    c.send(`<message xmlns='jabber:client' to='${bob}@localhost'><body>${body}</body></message>`);
    await expectStreamError(c, "policy-violation");
  });

  it("a stanza just under the limit is accepted", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "almost" });
    const body = "y".repeat(200 * 1024);
    c.send(`<message xmlns='jabber:client' type='chat' to='${alice}@localhost/almost'><body>${body}</body></message>`);
    const echo = await c.next(is.message());
    expect(echo.getChildText("body")).toHaveLength(200 * 1024);
    c.close();
  });

  it("a forged from gets <invalid-from/> (RFC 6120 §4.9.3.9)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "forger" });
    c.send(`<message xmlns='jabber:client' from='${bob}@localhost/x' to='${bob}@localhost'><body>from bob!</body></message>`);
    await expectStreamError(c, "invalid-from");
  });

  it("the sender's own bare or full JID as from is accepted and stamped with the full JID (§8.1.2.1)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "honest" });
    c.send(`<message xmlns='jabber:client' type='chat' from='${alice}@localhost' to='${alice}@localhost/honest' id='m1'><body>me</body></message>`);
    const m = await c.next(is.message());
    expect(m.attrs.from).toBe(`${alice}@localhost/honest`);
    expect(m.attrs.id).toBe("m1");
    c.close();
  });

  it("a non-stanza element gets <unsupported-stanza-type/> (RFC 6120 §4.9.3.21)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "weird" });
    c.send(`<foo xmlns='jabber:client'/>`);
    await expectStreamError(c, "unsupported-stanza-type");
  });

  it("a stanza in another namespace gets <invalid-namespace/>", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "ns" });
    c.send(`<message xmlns='jabber:server' to='${bob}@localhost'><body>x</body></message>`);
    await expectStreamError(c, "invalid-namespace");
  });

  it("an IQ to the server in an unknown namespace gets service-unavailable, type cancel (RFC 6120 §8.4)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "iq" });
    const r = await c.iq(`<iq xmlns='jabber:client' type='get' id='u1' to='localhost'><query xmlns='urn:example:unknown'/></iq>`, "u1");
    expect(r.attrs.type).toBe("error");
    expect(r.attrs.from).toBe("localhost");
    expect(r.attrs.to).toBe(`${alice}@localhost/iq`);
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    // The error reply carries the original payload's id and no other payload is invented.
    const setR = await c.iq(`<iq xmlns='jabber:client' type='set' id='u2' to='localhost'><x xmlns='urn:example:other'/></iq>`, "u2");
    expect(stanzaError(setR)).toEqual({ type: "cancel", condition: "service-unavailable" });
    c.close();
  });

  it("an IQ to the user's own bare JID in an unknown namespace gets service-unavailable", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "iqb" });
    const r = await c.iq(`<iq xmlns='jabber:client' type='get' id='u3'><query xmlns='urn:example:unknown'/></iq>`, "u3");
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    c.close();
  });

  it("an IQ without id gets bad-request (RFC 6120 §8.2.3)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "noid" });
    c.send(`<iq xmlns='jabber:client' type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const r = await c.next(is.iq());
    expect(stanzaError(r)).toEqual({ type: "modify", condition: "bad-request" });
    c.close();
  });

  it("an IQ request with two payloads gets bad-request", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "two" });
    const r = await c.iq(`<iq xmlns='jabber:client' type='get' id='t2' to='localhost'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/></iq>`, "t2");
    expect(stanzaError(r)).toEqual({ type: "modify", condition: "bad-request" });
    c.close();
  });

  it("a result or error IQ is never answered (RFC 6120 §8.2.3)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "quiet" });
    c.send(`<iq xmlns='jabber:client' type='result' id='r1' to='localhost'/>`);
    c.send(`<iq xmlns='jabber:client' type='error' id='r2' to='localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
    c.send(`<iq xmlns='jabber:client' type='result' id='r3' to='${bob}@localhost/nowhere'/>`);
    c.send(`<iq xmlns='jabber:client' type='result' id='r4' to='${uniqueName("ghost")}@localhost'/>`);
    c.send(`<iq xmlns='jabber:client' type='result' id='r5'/>`);
    await c.nothing(() => true, 800);
    c.close();
  });

  it("an IQ request to an offline full JID gets service-unavailable (RFC 6121 §8.5.3.2.3)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "caller" });
    const r = await c.iq(`<iq xmlns='jabber:client' type='get' id='f1' to='${bob}@localhost/offline'><ping xmlns='urn:xmpp:ping'/></iq>`, "f1");
    expect(r.attrs.from).toBe(`${bob}@localhost/offline`);
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    c.close();
  });

  it("a message to an unknown account gets service-unavailable (RFC 6121 §8.5.1)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "msg" });
    const ghost = `${uniqueName("ghost")}@localhost`;
    c.send(`<message xmlns='jabber:client' type='chat' to='${ghost}' id='g1'><body>anyone?</body></message>`);
    const r = await c.next(is.message());
    expect(r.attrs.type).toBe("error");
    expect(r.attrs.id).toBe("g1");
    expect(r.attrs.from).toBe(ghost);
    expect(r.attrs.to).toBe(`${alice}@localhost/msg`);
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    c.close();
  });

  it("an IQ to an unknown account gets service-unavailable; presence to it is silently dropped", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "ghostiq" });
    const ghost = `${uniqueName("ghost")}@localhost`;
    const r = await c.iq(`<iq xmlns='jabber:client' type='get' id='gi' to='${ghost}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`, "gi");
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    c.send(`<presence xmlns='jabber:client' to='${ghost}'/>`);
    await c.nothing(() => true, 500);
    c.close();
  });

  it("a message to a domain not served here gets remote-server-not-found (RFC 6120 §8.3.3.16)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "remote" });
    c.send(`<message xmlns='jabber:client' type='chat' to='juliet@capulet.example' id='rm'><body>hi</body></message>`);
    const r = await c.next(is.message());
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "remote-server-not-found" });
    c.close();
  });

  it("an invalid to gets jid-malformed (RFC 6120 §8.3.3.8)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "badjid" });
    c.send(`<message xmlns='jabber:client' type='chat' to='a@b@c' id='bj'><body>hi</body></message>`);
    const r = await c.next(is.message());
    expect(stanzaError(r)).toEqual({ type: "modify", condition: "jid-malformed" });
    c.close();
  });

  it("an error stanza is never answered with an error (RFC 6120 §8.3.1)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "errerr" });
    c.send(`<message xmlns='jabber:client' type='error' to='${uniqueName("ghost")}@localhost' id='ee'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`);
    await c.nothing(() => true, 600);
    c.close();
  });
});

void NS_STREAMS;
