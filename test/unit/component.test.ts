// XEP-0114 handshake and the rules for stanzas from a component (src/component).
// References: XEP-0114 §3 (Example 3), CONTRACT.md "Component sockets",
// RFC 6120 §8.3.1 (error replies), §8.3.3.5 (forbidden), §8.3.3.8 (jid-malformed).
import { describe, expect, it } from "vitest";
import { parse } from "ltx";
import { constantTimeEqualStrings, expectedHandshake, verifyHandshake } from "../../src/component/handshake";
import { checkComponentStanza, fromAllowed } from "../../src/component/stanza-check";
import { ComponentMailbox, type MailboxStorage } from "../../src/component/mailbox";
import { gatewayFor } from "../../src/features";
import { testServices } from "./support/services";
import { parseConfig } from "../../src/config";
import type { Env } from "../../src/env";

describe("the handshake (XEP-0114 §3)", () => {
  it("is lower-case hex SHA-1 of stream id + secret: the XEP's own example", async () => {
    // XEP-0114 Examples 2 and 3: stream id 3BF96D32, secret "test".
    expect(await expectedHandshake("3BF96D32", "test")).toBe("aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e");
  });

  it("matches the SHA-1 test vector of RFC 3174 for 'abc' (id 'a', secret 'bc')", async () => {
    expect(await expectedHandshake("a", "bc")).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
  });

  it("accepts the right answer, with surrounding whitespace or in upper case", async () => {
    expect(await verifyHandshake("3BF96D32", "test", "aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e")).toBe(true);
    expect(await verifyHandshake("3BF96D32", "test", "\n  AAEE83C26AEEAFCBABEABFCBCD50DF997E0A2A1E \n")).toBe(true);
  });

  it("refuses a wrong secret, another stream id, a truncated answer and an empty one", async () => {
    expect(await verifyHandshake("3BF96D32", "Test", "aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e")).toBe(false);
    expect(await verifyHandshake("3BF96D33", "test", "aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e")).toBe(false);
    expect(await verifyHandshake("3BF96D32", "test", "aaee83c26aeeafcbabeabfcbcd50df997e0a2a1")).toBe(false);
    expect(await verifyHandshake("3BF96D32", "test", "")).toBe(false);
  });

  it("compares strings exactly, whatever their lengths", () => {
    expect(constantTimeEqualStrings("abc", "abc")).toBe(true);
    expect(constantTimeEqualStrings("abc", "abd")).toBe(false);
    expect(constantTimeEqualStrings("abc", "abcd")).toBe(false);
    expect(constantTimeEqualStrings("", "a")).toBe(false);
    expect(constantTimeEqualStrings("é", "e\u0301")).toBe(false);
  });
});

describe("fromAllowed: the component's domain or a JID at it", () => {
  it.each([
    ["comp.localhost", true],
    ["comp.localhost/r", true],
    ["user@comp.localhost", true],
    ["user@comp.localhost/res/with/slash", true],
    ["localhost", false],
    ["user@localhost", false],
    ["pubsub.localhost", false],
    ["x.comp.localhost", false], // a subdomain is another entity
    ["comp.localhost.evil", false],
    ["evil@x/comp.localhost", false], // the domain is x; the rest is a resource
  ])("%s → %s", (from, allowed) => {
    expect(fromAllowed("comp.localhost", from)).toBe(allowed);
  });
});

describe("checkComponentStanza", () => {
  const check = (xml: string) => checkComponentStanza("comp.localhost", parse(xml));

  it("accepts a stanza in the component namespace and moves it to jabber:client", () => {
    const r = check(`<message xmlns='jabber:component:accept' from='bot@comp.localhost/x' to='Alice@LocalHost/Phone' id='1'><body>hi</body></message>`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.stanza.toString()).toBe(`<message xmlns="jabber:client" from="bot@comp.localhost/x" to="alice@localhost/Phone" id="1"><body>hi</body></message>`);
  });

  it("accepts jabber:client and no namespace, and stamps a missing from with the component's JID", () => {
    const a = check(`<presence xmlns='jabber:client' to='alice@localhost'/>`);
    expect(a.ok && a.stanza.toString()).toBe(`<presence xmlns="jabber:client" to="alice@localhost" from="comp.localhost"/>`);
    const b = check(`<iq type='get' id='q' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect(b.ok && b.stanza.attrs.xmlns).toBe("jabber:client");
    expect(b.ok && b.stanza.attrs.from).toBe("comp.localhost");
  });

  it("answers a forged from with <forbidden/> in the component namespace, and routes nothing", () => {
    const r = check(`<message from='alice@localhost' to='bob@localhost' id='f1'><body>spoof</body></message>`);
    expect(r.ok).toBe(false);
    if (r.ok || r.stream) throw new Error("expected a stanza error");
    expect(r.reply?.toString()).toBe(
      `<message xmlns="jabber:component:accept" type="error" from="comp.localhost" to="alice@localhost" id="f1">` +
        `<error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
        `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">'from' must be comp.localhost or a JID at it</text></error></message>`,
    );
  });

  it("answers a malformed from or to with <jid-malformed/>", () => {
    const a = check(`<iq type='get' id='m' from='a@@comp.localhost' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    if (a.ok || a.stream) throw new Error("expected a stanza error");
    expect(a.reply?.getChild("error")?.getChild("jid-malformed")).toBeDefined();
    expect(a.reply?.attrs.type).toBe("error");
    const b = check(`<message to='bad@' id='m2'/>`);
    if (b.ok || b.stream) throw new Error("expected a stanza error");
    expect(b.reply?.getChild("error")?.attrs.type).toBe("modify");
    expect(b.reply?.getChild("error")?.getChild("jid-malformed")).toBeDefined();
  });

  it("never answers a forged error or IQ result (RFC 6120 §8.3.1)", () => {
    expect(check(`<iq type='result' id='r' from='alice@localhost' to='localhost'/>`)).toEqual({ ok: false, reply: null });
    expect(check(`<message type='error' id='e' from='alice@localhost' to='bob@localhost'/>`)).toEqual({ ok: false, reply: null });
  });

  it("ends the stream for a non-stanza or a foreign namespace", () => {
    expect(check(`<handshake>aa</handshake>`)).toMatchObject({ ok: false, stream: "unsupported-stanza-type" });
    expect(check(`<message xmlns='jabber:server' to='a@localhost'/>`)).toMatchObject({ ok: false, stream: "invalid-namespace" });
  });
});

describe("ComponentMailbox: a component that is offline (XEP-0114 has no offline storage)", () => {
  const config = parseConfig({
    XMPP_CONFIG: JSON.stringify({ hosts: { localhost: {} }, components: { "comp.localhost": {} } }),
  } as never);
  const store: MailboxStorage = {
    currentSession: () => null,
    setSession: () => undefined,
    sql: undefined as unknown as SqlStorage,
    setAlarm: async () => undefined,
  };
  const router = new ComponentMailbox(testServices(config, {} as Env), gatewayFor(config).componentEvents, "comp.localhost", store);

  it("answers a message with service-unavailable from the addressed JID", async () => {
    const out = await router.receive(`<message xmlns='jabber:client' from='alice@localhost/r' to='bot@comp.localhost' id='m1'><body>hi</body></message>`);
    expect(out).toEqual([
      `<message xmlns="jabber:client" type="error" from="bot@comp.localhost" to="alice@localhost/r" id="m1">` +
        `<error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
        `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">comp.localhost is not connected</text></error></message>`,
    ]);
  });

  it("answers an IQ request with service-unavailable", async () => {
    const [reply] = await router.receive(`<iq xmlns='jabber:client' type='get' id='q1' from='alice@localhost/r' to='comp.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`);
    const el = parse(reply!);
    expect(el.attrs).toMatchObject({ type: "error", id: "q1", from: "comp.localhost", to: "alice@localhost/r" });
    expect(el.getChild("error")?.getChild("service-unavailable")).toBeDefined();
  });

  it("drops presences, IQ results and errors without an answer", async () => {
    expect(await router.receive(`<presence xmlns='jabber:client' from='alice@localhost/r' to='comp.localhost'/>`)).toEqual([]);
    expect(await router.receive(`<presence xmlns='jabber:client' type='subscribe' from='alice@localhost' to='comp.localhost'/>`)).toEqual([]);
    expect(await router.receive(`<iq xmlns='jabber:client' type='result' id='r' from='alice@localhost/r' to='comp.localhost'/>`)).toEqual([]);
    expect(await router.receive(`<message xmlns='jabber:client' type='error' id='e' from='alice@localhost/r' to='comp.localhost'/>`)).toEqual([]);
  });
});
