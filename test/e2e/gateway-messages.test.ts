// Message routing between real sessions, and offline storage.
// References: RFC 6121 §5.1 (chat sessions, from stamped by the server), §8.5.2.1.1
// (bare JID: highest non-negative priority, or offline storage), §8.5.3 (full JID;
// unknown resource: chat as if to the bare JID, normal silently dropped), §8.5.4 (table),
// §4.7.2.3 (negative priority gets no bare-JID messages), RFC 6120 §10.3.1 (no 'to':
// the sender's bare JID), XEP-0160 (offline messages on initial presence), XEP-0203
// (delay stamp).
import { beforeEach, describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { NS_DELAY, isMessage, online } from "./support/im";
import { RawXmpp, stanzaError } from "./support/raw-client";
import { connectClient } from "./support/xmpp-client";
import { xml } from "@xmpp/client";

const base = () => gatewayUrl();
const chat = (to: string, body: string, extra = "") =>
  `<message xmlns='jabber:client' type='chat' to='${to}'${extra}><body>${body}</body></message>`;

describe("message routing (RFC 6121 §8.5)", () => {
  let a: string;
  let b: string;
  let aBare: string;
  let bBare: string;
  beforeEach(async () => {
    a = uniqueName("msg-alice");
    b = uniqueName("msg-bob");
    aBare = `${a}@localhost`;
    bBare = `${b}@localhost`;
    await createUser(aBare);
    await createUser(bBare);
  });

  it("to a full JID: only that resource, with the sender's full JID stamped (§8.5.3.1)", async () => {
    const b1 = await online(base(), b, "one");
    const b2 = await online(base(), b, "two");
    const alice = await online(base(), a, "me");
    alice.send(chat(`${bBare}/two`, "for two", " id='m-full'"));
    const m = await b2.next(isMessage(`${aBare}/me`));
    expect(m.attrs.to).toBe(`${bBare}/two`);
    expect(m.attrs.id).toBe("m-full");
    expect(m.attrs.type).toBe("chat");
    expect(m.getChildText("body")).toBe("for two");
    await b1.nothing(isMessage(), 400);
    for (const c of [b1, b2, alice]) c.close();
  });

  it("to the bare JID: the resources of highest priority only (§8.5.2.1.1)", async () => {
    const hi1 = await online(base(), b, "hi1", { priority: 10 });
    const hi2 = await online(base(), b, "hi2", { priority: 10 });
    const lo = await online(base(), b, "lo", { priority: 1 });
    const alice = await online(base(), a, "me");
    alice.send(chat(bBare, "to the best"));
    for (const c of [hi1, hi2]) {
      const m = await c.next(isMessage(`${aBare}/me`));
      expect(m.attrs.to).toBe(bBare);
      expect(m.getChildText("body")).toBe("to the best");
    }
    await lo.nothing(isMessage(), 400);
    // A priority change moves bare-JID messages (§4.7.2.3).
    lo.send(`<presence xmlns='jabber:client'><priority>20</priority></presence>`);
    await lo.next((el) => el.getName() === "presence" && el.attrs.from === lo.jid && el.getChildText("priority") === "20");
    alice.send(chat(bBare, "now lo"));
    expect((await lo.next(isMessage(`${aBare}/me`))).getChildText("body")).toBe("now lo");
    await hi1.nothing(isMessage(), 300);
    for (const c of [hi1, hi2, lo, alice]) c.close();
  });

  it("a bound resource that sent no presence gets no bare-JID messages; they are stored (§8.5.2.1.1)", async () => {
    const silent = await RawXmpp.login(base(), { username: b, resource: "silent" });
    const alice = await online(base(), a, "me");
    alice.send(chat(bBare, "stored"));
    await silent.nothing(isMessage(), 400);
    // Initial presence delivers the stored message.
    silent.send(`<presence xmlns='jabber:client'/>`);
    const m = await silent.next(isMessage(`${aBare}/me`));
    expect(m.getChildText("body")).toBe("stored");
    silent.close();
    alice.close();
  });

  it("negative priority only: bare-JID chat goes to offline storage (§4.7.2.3)", async () => {
    const neg = await online(base(), b, "neg", { priority: -5 });
    const alice = await online(base(), a, "me");
    alice.send(chat(bBare, "later"));
    await neg.nothing(isMessage(), 400);
    // A full-JID message still reaches it.
    alice.send(chat(`${bBare}/neg`, "direct"));
    expect((await neg.next(isMessage(`${aBare}/me`))).getChildText("body")).toBe("direct");
    neg.close();
    const later = await online(base(), b, "pos", { priority: 1 });
    const m = await later.next(isMessage(`${aBare}/me`));
    expect(m.getChildText("body")).toBe("later");
    later.close();
    alice.close();
  });

  it("to an unknown resource: chat goes to the bare JID rules, normal is bounced with service-unavailable (§8.5.3.2.1, issue 14 item 8)", async () => {
    const bob = await online(base(), b, "real");
    const alice = await online(base(), a, "me");
    alice.send(chat(`${bBare}/gone`, "redirected"));
    const m = await bob.next(isMessage(`${aBare}/me`));
    expect(m.getChildText("body")).toBe("redirected");
    expect(m.attrs.to).toBe(`${bBare}/gone`);
    alice.send(`<message xmlns='jabber:client' to='${bBare}/gone' id='typeless'><body>normal</body></message>`);
    const bounce = await alice.next((el) => el.getName() === "message" && el.attrs.id === "typeless");
    expect(bounce.attrs).toMatchObject({ type: "error", from: `${bBare}/gone`, to: `${aBare}/me` });
    expect(stanzaError(bounce)).toEqual({ type: "cancel", condition: "service-unavailable" });
    await bob.nothing(isMessage(), 400);
    bob.close();
    alice.close();
  });

  it("headline to the bare JID goes to every non-negative available resource; groupchat gets service-unavailable", async () => {
    const b1 = await online(base(), b, "p5", { priority: 5 });
    const b2 = await online(base(), b, "p0", { priority: 0 });
    const alice = await online(base(), a, "me");
    alice.send(`<message xmlns='jabber:client' type='headline' to='${bBare}'><body>news</body></message>`);
    await b1.next(isMessage(`${aBare}/me`));
    await b2.next(isMessage(`${aBare}/me`));
    alice.send(`<message xmlns='jabber:client' type='groupchat' to='${bBare}' id='gc'><body>room?</body></message>`);
    const err = await alice.next((el) => el.getName() === "message" && el.attrs.type === "error");
    expect(err.attrs.id).toBe("gc");
    expect(err.getChild("error")!.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    for (const c of [b1, b2, alice]) c.close();
  });

  it("a message without 'to' goes to the sender's own bare JID (RFC 6120 §10.3.1)", async () => {
    const a1 = await online(base(), a, "one");
    const a2 = await online(base(), a, "two");
    a1.send(`<message xmlns='jabber:client' type='chat'><body>note to self</body></message>`);
    const m = await a2.next(isMessage(`${aBare}/one`));
    expect(m.attrs.to).toBe(aBare);
    a1.close();
    a2.close();
  });

  it("an IQ to a full JID reaches that resource, and its result comes back (RFC 6121 §8.5.3.1)", async () => {
    const bob = await online(base(), b, "pc");
    const alice = await online(base(), a, "me");
    alice.send(`<iq xmlns='jabber:client' type='get' id='v1' to='${bBare}/pc'><query xmlns='jabber:iq:version'/></iq>`);
    const req = await bob.next((el) => el.getName() === "iq" && el.attrs.id === "v1");
    expect(req.attrs).toMatchObject({ type: "get", from: `${aBare}/me`, to: `${bBare}/pc` });
    bob.send(`<iq xmlns='jabber:client' type='result' id='v1' to='${aBare}/me'><query xmlns='jabber:iq:version'><name>raw</name><version>1</version></query></iq>`);
    const res = await alice.next((el) => el.getName() === "iq" && el.attrs.id === "v1");
    expect(res.attrs).toMatchObject({ type: "result", from: `${bBare}/pc`, to: `${aBare}/me` });
    expect(res.getChild("query", "jabber:iq:version")!.getChildText("name")).toBe("raw");
    bob.close();
    alice.close();
  });

  it("an error message to a full JID is delivered (§8.5.3.1)", async () => {
    const bob = await online(base(), b, "pc");
    const alice = await online(base(), a, "me");
    alice.send(`<message xmlns='jabber:client' type='error' to='${bBare}/pc' id='e1'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`);
    const m = await bob.next(isMessage(`${aBare}/me`));
    expect(m.attrs.type).toBe("error");
    expect(m.attrs.id).toBe("e1");
    bob.close();
    alice.close();
  });

  it("when one of two resources leaves, the other receives its unavailable presence (RFC 6121 §4.5.2)", async () => {
    const a1 = await online(base(), a, "stay");
    const a2 = await online(base(), a, "leave");
    await a1.next((el) => el.getName() === "presence" && el.attrs.from === `${aBare}/leave`);
    a2.close();
    const gone = await a1.next((el) => el.getName() === "presence" && el.attrs.from === `${aBare}/leave` && el.attrs.type === "unavailable");
    expect(gone.attrs.to).toBe(`${aBare}/stay`);
    // Bare-JID messages now go to the remaining resource only.
    const bob = await online(base(), b, "x");
    bob.send(chat(aBare, "only you"));
    expect((await a1.next(isMessage(`${bBare}/x`))).getChildText("body")).toBe("only you");
    a1.close();
    bob.close();
  });

  it("two users chat with @xmpp/client", async () => {
    const alice = await connectClient({ username: a, resource: "web" });
    const bob = await connectClient({ username: b, resource: "web" });
    await alice.xmpp.send(xml("presence"));
    await bob.xmpp.send(xml("presence"));
    await alice.xmpp.send(xml("message", { type: "chat", to: bob.jid, id: "x1" }, xml("body", {}, "hi bob")));
    const got = await bob.waitFor((el) => el.is("message") && el.getChildText("body") === "hi bob");
    expect(got.attrs.from).toBe(alice.jid);
    await bob.xmpp.send(xml("message", { type: "chat", to: got.attrs.from }, xml("body", {}, "hi alice")));
    const back = await alice.waitFor((el) => el.is("message") && el.getChildText("body") === "hi alice");
    expect(back.attrs.from).toBe(bob.jid);
    await alice.stop();
    await bob.stop();
  });
});

describe("offline messages (XEP-0160, RFC 6121 §8.5.2.1.1)", () => {
  it("messages to an offline account are delivered, in order and with a delay stamp, on initial presence", async () => {
    const a = uniqueName("off-alice");
    const b = uniqueName("off-bob");
    await createUser(`${a}@localhost`);
    await createUser(`${b}@localhost`);
    const alice = await online(base(), a, "me");
    const before = Date.now();
    for (const n of [1, 2, 3]) alice.send(chat(`${b}@localhost`, `offline ${n}`, ` id='off-${n}'`));
    // No error comes back: the messages are stored.
    await alice.nothing(isMessage(), 500);

    const bob = await RawXmpp.login(base(), { username: b, resource: "back" });
    await bob.nothing(isMessage(), 300); // nothing before initial presence
    bob.send(`<presence xmlns='jabber:client'/>`);
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await bob.next(isMessage(`${a}@localhost/me`)));
    expect(got.map((m) => m.getChildText("body"))).toEqual(["offline 1", "offline 2", "offline 3"]);
    expect(got.map((m) => m.attrs.id)).toEqual(["off-1", "off-2", "off-3"]);
    for (const m of got) {
      const delay = m.getChild("delay", NS_DELAY)!;
      expect(delay).toBeDefined();
      expect(delay.attrs.from).toBe("localhost");
      // XEP-0082 DateTime in UTC.
      expect(delay.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      const t = Date.parse(delay.attrs.stamp!);
      expect(t).toBeGreaterThanOrEqual(before - 2000);
      expect(t).toBeLessThanOrEqual(Date.now() + 2000);
    }
    bob.close();

    // Delivered once only.
    const again = await online(base(), b, "again");
    await again.nothing(isMessage(), 500);
    again.close();
    alice.close();
  });

  it("@xmpp/client receives its offline messages after sending presence", async () => {
    const a = uniqueName("off2-alice");
    const b = uniqueName("off2-bob");
    await createUser(`${a}@localhost`);
    await createUser(`${b}@localhost`);
    const alice = await online(base(), a, "me");
    alice.send(chat(`${b}@localhost`, "while you were away"));
    await alice.nothing(isMessage(), 300);
    const bob = await connectClient({ username: b });
    await bob.xmpp.send(xml("presence"));
    const m = await bob.waitFor((el) => el.is("message"));
    expect(m.getChildText("body")).toBe("while you were away");
    expect(m.getChild("delay", NS_DELAY)).toBeDefined();
    await bob.stop();
    alice.close();
  });
});
