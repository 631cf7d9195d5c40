// Stream negotiation and SASL over a real WebSocket (raw frames and @xmpp/client).
// References: RFC 7395 §3.3-3.5 (open, features, restart), RFC 6120 §4.3.2 (order of
// negotiation), §6.4 (SASL exchange), §6.5 (SASL failures), §7 (resource binding),
// RFC 5802 / RFC 7677 (SCRAM-SHA-1 / SCRAM-SHA-256, server signature), RFC 4616 (PLAIN).
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName, wsUrl } from "./support/gateway";
import { NS_BIND, NS_FRAMING, NS_SASL, RawXmpp, ScramClient, b64, is, openFrame, unb64 } from "./support/raw-client";
import { connectClient } from "./support/xmpp-client";

const saslAnswer = (el: { getName(): string; attrs: Record<string, string> }) =>
  el.attrs.xmlns === NS_SASL && ["success", "failure", "challenge"].includes(el.getName());

describe("stream negotiation (RFC 7395 §3.4, RFC 6120 §4.3)", () => {
  it("answers <open/> with a framing <open/> and offers the three SASL mechanisms", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    expect(c.ws.protocol).toBe("xmpp");
    const { open, features } = await c.openStream("localhost");
    expect(open.attrs.xmlns).toBe(NS_FRAMING);
    expect(open.attrs.from).toBe("localhost");
    expect(open.attrs.version).toBe("1.0");
    expect(open.attrs.id).toMatch(/^[0-9a-f]{16,}$/);
    expect(features.name).toBe("stream:features");
    const mechs = features.getChild("mechanisms", NS_SASL)!.getChildren("mechanism").map((m) => m.getText());
    expect(mechs).toEqual(["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]);
    // No in-band registration on localhost (registration = false).
    expect(features.getChild("register", "http://jabber.org/features/iq-register")).toBeUndefined();
    c.close();
  });

  it("gives a different stream id to each stream", async () => {
    const a = await RawXmpp.open(wsUrl(gatewayUrl()));
    const b = await RawXmpp.open(wsUrl(gatewayUrl()));
    const [oa, ob] = await Promise.all([a.openStream("localhost"), b.openStream("localhost")]);
    expect(oa.open.attrs.id).not.toBe(ob.open.attrs.id);
    a.close();
    b.close();
  });
});

describe("SASL mechanisms (RFC 6120 §6.4)", () => {
  const user = uniqueName("sasl");
  beforeAll(() => createUser(`${user}@localhost`, "s3cret pässword"));

  for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]) {
    it(`${mechanism}: success, restart, bind features, bound JID`, async () => {
      const c = await RawXmpp.open(wsUrl(gatewayUrl()));
      await c.openStream("localhost");
      // authenticate() also checks the SCRAM server signature (RFC 5802 §3 "v=").
      await c.authenticate(mechanism, user, "s3cret pässword");
      // RFC 6120 §6.4.6 / RFC 7395 §3.5: the stream restarts with a new <open/>.
      const { open, features } = await c.openStream("localhost");
      expect(open.attrs.from).toBe("localhost");
      expect(features.getChild("bind", NS_BIND)).toBeDefined();
      expect(features.getChild("mechanisms", NS_SASL)).toBeUndefined();
      expect(await c.bind("desk")).toBe(`${user}@localhost/desk`);
      c.close();
    });
  }

  it("SCRAM-SHA-256: the challenge carries the client nonce, a salt and i=4096", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    const scram = new ScramClient("sha256", user, "s3cret pässword", "fyko+d2lbbFgONRv9qkxdawL");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256'>${b64(scram.first())}</auth>`);
    const challenge = await c.next(saslAnswer);
    expect(challenge.getName()).toBe("challenge");
    const serverFirst = unb64(challenge.getText());
    expect(serverFirst).toMatch(/^r=fyko\+d2lbbFgONRv9qkxdawL[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/);
    c.send(`<response xmlns='${NS_SASL}'>${b64(scram.final(serverFirst))}</response>`);
    const success = await c.next(saslAnswer);
    expect(success.getName()).toBe("success");
    expect(scram.verify(unb64(success.getText()))).toBe(true);
    c.close();
  });

  for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]) {
    it(`${mechanism}: a wrong password gets <failure><not-authorized/></failure> and the stream stays usable`, async () => {
      const c = await RawXmpp.open(wsUrl(gatewayUrl()));
      await c.openStream("localhost");
      await expect(c.authenticate(mechanism, user, "wrong")).rejects.toThrow(/failed/);
      const failure = c.seen.at(-1)!;
      expect(failure).toBe(`<failure xmlns="${NS_SASL}"><not-authorized/></failure>`);
      // RFC 6120 §6.4.5: the client may retry on the same stream.
      await c.authenticate(mechanism, user, "s3cret pässword");
      c.close();
    });
  }

  it("an unknown account fails like a wrong password (SCRAM still sends a challenge)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    const scram = new ScramClient("sha256", uniqueName("nobody"), "pw");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256'>${b64(scram.first())}</auth>`);
    const challenge = await c.next(saslAnswer);
    expect(challenge.getName()).toBe("challenge");
    expect(unb64(challenge.getText())).toMatch(/^r=[^,]+,s=[^,]+,i=4096$/);
    c.send(`<response xmlns='${NS_SASL}'>${b64(scram.final(unb64(challenge.getText())))}</response>`);
    const failure = await c.next(saslAnswer);
    expect(failure.getName()).toBe("failure");
    expect(failure.getChild("not-authorized")).toBeDefined();
    c.close();
  });

  it("an unsupported mechanism gets <invalid-mechanism/> (RFC 6120 §6.5.5)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='DIGEST-MD5'/>`);
    const failure = await c.next(saslAnswer);
    expect(failure.getName()).toBe("failure");
    expect(failure.getChild("invalid-mechanism")).toBeDefined();
    c.close();
  });

  it("bad base64 gets <incorrect-encoding/> (RFC 6120 §6.5.2)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>!!!not base64!!!</auth>`);
    const failure = await c.next(saslAnswer);
    expect(failure.getChild("incorrect-encoding")).toBeDefined();
    c.close();
  });

  it("an authzid naming another account gets <invalid-authzid/> (RFC 6120 §6.5.6)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${b64(`someone-else@localhost\0${user}\0s3cret pässword`)}</auth>`);
    const failure = await c.next(saslAnswer);
    expect(failure.getChild("invalid-authzid")).toBeDefined();
    c.close();
  });

  it("<abort/> during SCRAM gets <failure><aborted/></failure> (RFC 6120 §6.4.4)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    const scram = new ScramClient("sha1", user, "pw");
    c.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-1'>${b64(scram.first())}</auth>`);
    expect((await c.next(saslAnswer)).getName()).toBe("challenge");
    c.send(`<abort xmlns='${NS_SASL}'/>`);
    const failure = await c.next(saslAnswer);
    expect(failure.toString()).toBe(`<failure xmlns="${NS_SASL}"><aborted/></failure>`);
    c.close();
  });

  it("@xmpp/client logs in (SCRAM-SHA-1 or PLAIN as it prefers) and binds", async () => {
    const c = await connectClient({ username: user, password: "s3cret pässword", resource: "lib" });
    expect(c.jid).toBe(`${user}@localhost/lib`);
    await c.stop();
  });

  it("@xmpp/client with a wrong password is refused", async () => {
    await expect(connectClient({ username: user, password: "nope" })).rejects.toThrow(/not-authorized/);
  });
});

describe("usernames that need escaping or normalisation", () => {
  for (const mechanism of ["SCRAM-SHA-256", "PLAIN"]) {
    it(`${mechanism}: a non-ASCII localpart and one with ',' and '=' (RFC 5802 §5.1 saslname)`, async () => {
      for (const name of [uniqueName("jürgen"), uniqueName("a,b=c")]) {
        await createUser(`${name}@localhost`, "pw");
        const c = await RawXmpp.login(gatewayUrl(), { username: name, mechanism, resource: "ü" });
        expect(c.jid).toBe(`${name}@localhost/ü`);
        c.close();
      }
    });
  }

  it("the localpart is case-insensitive: Alice logs in as alice", async () => {
    const name = uniqueName("casey");
    await createUser(`${name}@localhost`, "pw");
    const c = await RawXmpp.login(gatewayUrl(), { username: name.toUpperCase(), mechanism: "SCRAM-SHA-1", resource: "r" });
    expect(c.jid).toBe(`${name}@localhost/r`);
    c.close();
  });
});

describe("resource binding (RFC 6120 §7)", () => {
  const user = uniqueName("bind");
  beforeAll(() => createUser(`${user}@localhost`));

  it("generates a resource when the client asks for none (§7.6.1)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: user });
    expect(c.jid.startsWith(`${user}@localhost/`)).toBe(true);
    const resource = c.jid.slice(`${user}@localhost/`.length);
    expect(resource.length).toBeGreaterThan(4);
    const d = await RawXmpp.login(gatewayUrl(), { username: user });
    expect(d.jid).not.toBe(c.jid);
    c.close();
    d.close();
  });

  it("a conflicting bind replaces the older session, which gets stream error <conflict/> (§7.7.2.2)", async () => {
    const old = await RawXmpp.login(gatewayUrl(), { username: user, resource: "same" });
    const fresh = await RawXmpp.login(gatewayUrl(), { username: user, resource: "same" });
    expect(fresh.jid).toBe(`${user}@localhost/same`);
    const err = await old.next(is.streamError());
    expect(err.toString()).toBe(
      `<stream:error xmlns:stream="http://etherx.jabber.org/streams"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">replaced by a new session</text></stream:error>`,
    );
    await old.next(is.close());
    await old.closed;
    // The new session works: it pings its server.
    const pong = await fresh.iq(`<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "p1");
    expect(pong.attrs.type).toBe("result");
    fresh.close();
  });

  it("a resource over 1023 octets gets bad-request, and a valid bind may follow (§7.7.2.1)", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    await c.authenticate("PLAIN", user, "pw");
    await c.openStream("localhost");
    const r = await c.iq(`<iq xmlns='jabber:client' type='set' id='long'><bind xmlns='${NS_BIND}'><resource>${"r".repeat(1100)}</resource></bind></iq>`, "long");
    expect(r.attrs.type).toBe("error");
    expect(r.getChild("error")!.attrs.type).toBe("modify");
    expect(r.getChild("error")!.getChild("bad-request", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    // Octets, not characters: 600 × "é" is 1200 bytes.
    const wide = await c.iq(`<iq xmlns='jabber:client' type='set' id='wide'><bind xmlns='${NS_BIND}'><resource>${"é".repeat(600)}</resource></bind></iq>`, "wide");
    expect(wide.attrs.type).toBe("error");
    expect(await c.bind("short")).toBe(`${user}@localhost/short`);
    c.close();
  });

  it("a stanza other than bind before binding closes the stream with not-authorized", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    await c.authenticate("PLAIN", user, "pw");
    await c.openStream("localhost");
    c.send(`<message xmlns='jabber:client' to='${user}@localhost'><body>early</body></message>`);
    const err = await c.next(is.streamError());
    expect(err.getChild("not-authorized", "urn:ietf:params:xml:ns:xmpp-streams")).toBeDefined();
    await c.next(is.close());
  });

  it("the session establishment IQ (RFC 3921 legacy) is answered with an empty result", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    await c.authenticate("SCRAM-SHA-256", user, "pw");
    await c.openStream("localhost");
    await c.bind("legacy");
    const r = await c.iq(`<iq xmlns='jabber:client' type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`, "sess");
    expect(r.attrs.type).toBe("result");
    c.close();
  });
});

void openFrame;
