// XEP-0280 Message Carbons v1.0 over real sockets: two (or three) resources of one user.
// References: XEP-0280 §4-§5 (enable, disable), §6 (eligibility), §7 (received), §8
// (sent), §9 (private), XEP-0334 no-copy; XEP-0356 §4.3 (a message sent on the user's
// behalf counts as sent by them).
import { describe, expect, it } from "vitest";
import { gatewayUrl } from "./support/gateway";
import { RawXmpp } from "./support/raw-client";
import {
  NS_CARBONS, NS_DISCO_INFO, carbonInner, chat, closeAfterEach, enableCarbons, iq, isCarbon, isChat, mamQuery, newUser, on, resultOf, stanzaIdBy, track,
} from "./user-data-support";

closeAfterEach();

describe("enable, disable and the copies (XEP-0280 §4-§8)", () => {
  it("the feature is in the host's disco#info; enable and disable are answered from the bare JID", async () => {
    const alice = await newUser("cc-alice");
    const a1 = await on(alice.name, "one");
    const info = await iq(a1, "get", `<query xmlns='${NS_DISCO_INFO}'/>`, "localhost");
    expect(info.getChild("query", NS_DISCO_INFO)!.getChildren("feature").map((f) => f.attrs.var)).toContain(NS_CARBONS);
    const en = await iq(a1, "set", `<enable xmlns='${NS_CARBONS}'/>`);
    expect(en.attrs.type).toBe("result");
    // Repeating is not an error (§9.1); a get is a bad request.
    expect((await iq(a1, "set", `<enable xmlns='${NS_CARBONS}'/>`)).attrs.type).toBe("result");
    const get = await iq(a1, "get", `<enable xmlns='${NS_CARBONS}'/>`);
    expect(get.attrs.type).toBe("error");
    expect(get.getChild("error")!.getChild("bad-request")).toBeDefined();
  });

  it("received and sent copies go to the other enabled resource only, with the archive id; disable stops them", async () => {
    const alice = await newUser("cc-alice");
    const bob = await newUser("cc-bob");
    const a1 = await on(alice.name, "one");
    const a2 = await on(alice.name, "two");
    const b = await on(bob.name, "b");
    await enableCarbons(a1);
    await enableCarbons(a2);

    b.send(chat(`${alice.bare}/one`, "hi one"));
    const direct = await a1.next(isChat("hi one"));
    const rc = await a2.next(isCarbon("received"));
    expect(rc.attrs).toMatchObject({ from: alice.bare, to: `${alice.bare}/two`, type: "chat" });
    const inner = carbonInner(rc, "received");
    expect(inner.attrs).toMatchObject({ from: b.jid, to: `${alice.bare}/one`, xmlns: "jabber:client" });
    expect(inner.getChildText("body")).toBe("hi one");
    expect(stanzaIdBy(inner, alice.bare)).toBe(stanzaIdBy(direct, alice.bare));
    // §7: the direct recipient gets no copy of what it already has.
    await a1.nothing(isCarbon("received"), 300);

    a1.send(chat(b.jid, "from one"));
    const got = await b.next(isChat("from one"));
    expect(stanzaIdBy(got, alice.bare)).toBeUndefined();
    const sc = await a2.next(isCarbon("sent"));
    expect(sc.attrs).toMatchObject({ from: alice.bare, to: `${alice.bare}/two` });
    const sent = carbonInner(sc, "sent");
    expect(sent.attrs).toMatchObject({ from: a1.jid, to: b.jid });
    expect(sent.getChildText("body")).toBe("from one");
    expect(stanzaIdBy(sent, alice.bare)).toBeTruthy();
    await a1.nothing(isCarbon("sent"), 300);

    expect((await iq(a2, "set", `<disable xmlns='${NS_CARBONS}'/>`)).attrs.type).toBe("result");
    a1.send(chat(b.jid, "after disable"));
    b.send(chat(`${alice.bare}/one`, "in after disable"));
    await b.next(isChat("after disable"));
    await a1.next(isChat("in after disable"));
    await a2.nothing((el) => el.getName() === "message", 500);
  });

  it("<private/> and <no-copy/> are not copied; <private/> is removed before delivery (§9, XEP-0334)", async () => {
    const alice = await newUser("cc-alice");
    const bob = await newUser("cc-bob");
    const a1 = await on(alice.name, "one");
    const a2 = await on(alice.name, "two");
    const b = await on(bob.name, "b");
    await enableCarbons(a2);
    a1.send(chat(b.jid, "private out", `<private xmlns='${NS_CARBONS}'/>`));
    const got = await b.next(isChat("private out"));
    expect(got.getChild("private", NS_CARBONS)).toBeUndefined();
    b.send(chat(`${alice.bare}/one`, "private in", `<private xmlns='${NS_CARBONS}'/>`));
    expect((await a1.next(isChat("private in"))).getChild("private", NS_CARBONS)).toBeUndefined();
    b.send(chat(`${alice.bare}/one`, "no-copy in", "<no-copy xmlns='urn:xmpp:hints'/>"));
    await a1.next(isChat("no-copy in"));
    // Headline is not eligible either (§6).
    b.send(`<message xmlns='jabber:client' type='headline' to='${alice.bare}/one'><body>news</body></message>`);
    await a1.next(isChat("news"));
    await a2.nothing((el) => el.getName() === "message", 500);
  });

  it("a message to the bare JID reaches the top-priority resources directly and the others once, as a copy (§7)", async () => {
    const alice = await newUser("cc-alice");
    const bob = await newUser("cc-bob");
    const a1 = await on(alice.name, "one");
    const a2 = await on(alice.name, "two");
    const low = await on(alice.name, "low", { priority: -1 });
    const b = await on(bob.name, "b");
    for (const c of [a1, a2, low]) await enableCarbons(c);
    b.send(chat(alice.bare, "to all"));
    for (const c of [a1, a2]) expect((await c.next(isChat("to all"))).attrs.to).toBe(alice.bare);
    const copy = await low.next(isCarbon("received"));
    expect(carbonInner(copy, "received").getChildText("body")).toBe("to all");
    await low.nothing((el) => el.getName() === "message", 400);
    for (const c of [a1, a2]) await c.nothing(isCarbon("received"), 100);
  });

  it("a chat state (no body, nothing to archive) is copied once another resource enables carbons, and not before (src/im/sender-view.ts)", async () => {
    const alice = await newUser("cc-alice");
    const bob = await newUser("cc-bob");
    const a1 = await on(alice.name, "one");
    const a2 = await on(alice.name, "two");
    const b = await on(bob.name, "b");
    const composing = (id: string) => `<message type='chat' to='${b.jid}' id='${id}'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`;
    const isState = (id: string) => (el: { getName(): string; attrs: Record<string, string> }) => el.getName() === "message" && el.attrs.id === id;
    a1.send(composing("cs1")); // no one copies yet: the connection decides alone
    await b.next(isState("cs1"));
    await a2.nothing(isCarbon("sent"), 300);
    await enableCarbons(a2); // the account tells a1's connection its view changed
    a1.send(composing("cs2"));
    await b.next(isState("cs2"));
    const sc = await a2.next(isCarbon("sent"));
    const inner = carbonInner(sc, "sent");
    expect(inner.attrs).toMatchObject({ from: a1.jid, to: b.jid, id: "cs2" });
    expect(inner.getChild("composing", "http://jabber.org/protocol/chatstates")).toBeDefined();
  });
});

describe("messages that go straight to the recipient's connection (src/im/sender-view.ts)", () => {
  it("a chat state to a full JID is copied as received once another resource enables carbons, and not before", async () => {
    const alice = await newUser("cc-alice");
    const bob = await newUser("cc-bob");
    const a1 = await on(alice.name, "one");
    const a2 = await on(alice.name, "two");
    const b = await on(bob.name, "b");
    const composing = (id: string) => `<message type='chat' to='${alice.bare}/one' id='${id}'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`;
    const isState = (id: string) => (el: { getName(): string; attrs: Record<string, string> }) => el.getName() === "message" && el.attrs.id === id;
    for (const id of ["r1", "r2", "r3"]) {
      b.send(composing(id));
      await a1.next(isState(id));
    }
    await a2.nothing(isCarbon("received"), 300);
    await enableCarbons(a2); // the account tells a1's connection its view changed
    b.send(composing("r4"));
    await a1.next(isState("r4"));
    const rc = await a2.next(isCarbon("received"));
    expect(carbonInner(rc, "received").attrs).toMatchObject({ from: b.jid, to: `${alice.bare}/one`, id: "r4" });
    await a1.nothing(isCarbon("received"), 300);
  });

  it("messages with a body (through the recipient's account, archived) and chat states (straight) arrive in the order sent (RFC 6120 §10.1)", async () => {
    const alice = await newUser("cc-alice");
    const bob = await newUser("cc-bob");
    const a = await on(alice.name, "one");
    const b = await on(bob.name, "b");
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `o${i}`;
      sent.push(id);
      b.send(i % 3 === 0
        ? `<message type='chat' to='${a.jid}' id='${id}'><body>${i}</body></message>`
        : `<message type='chat' to='${a.jid}' id='${id}'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    }
    const got: string[] = [];
    while (got.length < sent.length) got.push((await a.next((el) => el.getName() === "message" && el.attrs.id?.startsWith("o") === true)).attrs.id!);
    expect(got).toEqual(sent);
    const archived = await mamQuery(a);
    expect(archived.results.map((r) => resultOf(r).message.getChildText("body"))).toEqual(["0", "3", "6", "9", "12", "15", "18", "21", "24", "27"]);
  });
});

describe("a message sent through XEP-0356 on the user's behalf (message=outgoing)", () => {
  it("is copied to the user's enabled resources as sent, and archived as theirs", async () => {
    const alice = await newUser("cc-alice", "priv.localhost");
    const bob = await newUser("cc-bob", "priv.localhost");
    const a1 = await on(alice.name, "one", { domain: "priv.localhost" });
    const b = await on(bob.name, "b", { domain: "priv.localhost" });
    await enableCarbons(a1);
    const comp = track(await RawXmpp.component(gatewayUrl(), "priv.comp.localhost", "priv-secret"));
    await comp.next((el) => el.getName() === "message" && el.getChild("privilege", "urn:xmpp:privilege:2") !== undefined);
    comp.send(`<message to='priv.localhost' id='pm'><privilege xmlns='urn:xmpp:privilege:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
      `<message xmlns='jabber:client' from='${alice.bare}' to='${b.jid}' type='chat' id='on-behalf'><body>sent for alice</body></message></forwarded></privilege></message>`);
    expect((await b.next(isChat("sent for alice"))).attrs.from).toBe(alice.bare);
    const sc = await a1.next(isCarbon("sent"));
    const inner = carbonInner(sc, "sent");
    expect(inner.attrs).toMatchObject({ from: alice.bare, to: b.jid, id: "on-behalf" });
    const archived = await mamQuery(a1);
    expect(archived.results.map((r) => resultOf(r).message.getChildText("body"))).toEqual(["sent for alice"]);
    expect(resultOf(archived.results[0]!).id).toBe(stanzaIdBy(inner, alice.bare));
  });
});
