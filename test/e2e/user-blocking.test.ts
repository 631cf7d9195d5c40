// XEP-0191 Blocking Command v1.3 over real sockets.
// References: §3.2 (blocklist), §3.3 (block: push, unavailable presence, what is refused
// and how), §3.4 (unblock one), §3.5 (unblock all), §5 (JID matching); XEP-0356 §4.3 (a
// privileged component's message on a user's behalf is blocked like the user's own).
import { describe, expect, it } from "vitest";
import { gatewayUrl } from "./support/gateway";
import { RawXmpp, stanzaError, type Element } from "./support/raw-client";
import { NS_BLOCKING, NS_DISCO_INFO, befriend, chat, closeAfterEach, iq, isChat, newUser, on, track } from "./user-data-support";

closeAfterEach();

const items = (el: Element, name: string) => el.getChild(name, NS_BLOCKING)!.getChildren("item").map((i) => i.attrs.jid);
const isPush = (name: string) => (el: Element) => el.getName() === "iq" && el.attrs.type === "set" && el.getChild(name, NS_BLOCKING) !== undefined;
const presenceFrom = (jid: string, type?: string) => (el: Element) => el.getName() === "presence" && el.attrs.from === jid && el.attrs.type === type;

describe("blocklist, block and unblock (§3.2-§3.5)", () => {
  it("is advertised; get, block (pushed to resources that asked), unblock one, unblock all", async () => {
    const alice = await newUser("bl-alice");
    const a1 = await on(alice.name, "one");
    const a2 = await on(alice.name, "two");
    const info = await iq(a1, "get", `<query xmlns='${NS_DISCO_INFO}'/>`, "localhost");
    expect(info.getChild("query", NS_DISCO_INFO)!.getChildren("feature").map((f) => f.attrs.var)).toContain(NS_BLOCKING);
    expect(items(await iq(a1, "get", `<blocklist xmlns='${NS_BLOCKING}'/>`), "blocklist")).toEqual([]);
    const block = await iq(a2, "set", `<block xmlns='${NS_BLOCKING}'><item jid='x@example.org'/><item jid='spam.example'/></block>`);
    expect(block.attrs.type).toBe("result");
    // a1 asked for the list: it gets the push; a2 never did.
    const push = await a1.next(isPush("block"));
    expect(items(push, "block")).toEqual(["x@example.org", "spam.example"]);
    a1.send(`<iq xmlns='jabber:client' type='result' id='${push.attrs.id}'/>`);
    await a2.nothing(isPush("block"), 300);
    expect(items(await iq(a2, "get", `<blocklist xmlns='${NS_BLOCKING}'/>`), "blocklist")).toEqual(["spam.example", "x@example.org"]);
    const empty = await iq(a1, "set", `<block xmlns='${NS_BLOCKING}'/>`);
    expect(stanzaError(empty).condition).toBe("bad-request");

    expect((await iq(a1, "set", `<unblock xmlns='${NS_BLOCKING}'><item jid='x@example.org'/></unblock>`)).attrs.type).toBe("result");
    for (const c of [a1, a2]) expect(items(await c.next(isPush("unblock")), "unblock")).toEqual(["x@example.org"]);
    expect((await iq(a1, "set", `<unblock xmlns='${NS_BLOCKING}'/>`)).attrs.type).toBe("result");
    for (const c of [a1, a2]) expect(items(await c.next(isPush("unblock")), "unblock")).toEqual([]);
    expect(items(await iq(a1, "get", `<blocklist xmlns='${NS_BLOCKING}'/>`), "blocklist")).toEqual([]);
  });

  it("a blocked contact gets unavailable presence, its stanzas are refused or dropped, ours to it refused; unblock lets presence flow again", async () => {
    const alice = await newUser("bl-alice");
    const bob = await newUser("bl-bob");
    const a = await on(alice.name, "a");
    const b = await on(bob.name, "b");
    await befriend(a, alice.bare, b, bob.bare);

    await iq(a, "set", `<block xmlns='${NS_BLOCKING}'><item jid='${bob.bare}'/></block>`);
    await b.next(presenceFrom(a.jid, "unavailable"));

    // From the blocked JID: message and IQ get service-unavailable, presence is dropped (§3.3).
    b.send(chat(a.jid, "let me in", "", "blocked-in"));
    const bounce = await b.next((el) => el.attrs.id === "blocked-in");
    expect(bounce.attrs.type).toBe("error");
    expect(stanzaError(bounce).condition).toBe("service-unavailable");
    const ping = await iq(b, "get", "<ping xmlns='urn:xmpp:ping'/>", a.jid);
    expect(stanzaError(ping).condition).toBe("service-unavailable");
    b.send(`<presence xmlns='jabber:client'><show>away</show></presence>`);
    await a.nothing((el) => el.getName() === "message" || (el.getName() === "presence" && el.attrs.from === b.jid), 500);

    // To the blocked JID: not-acceptable with <blocked/> (§3.3), the payload kept.
    a.send(chat(b.jid, "hello?", "", "blocked-out"));
    const refused = await a.next((el) => el.attrs.id === "blocked-out");
    expect(refused.attrs).toMatchObject({ type: "error", from: b.jid });
    const err = refused.getChild("error")!;
    expect(err.attrs.type).toBe("cancel");
    expect(err.getChild("not-acceptable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    expect(err.getChild("blocked", "urn:xmpp:blocking:errors")).toBeDefined();
    await b.nothing(isChat("hello?"), 300);
    // Our presence changes do not reach it either.
    a.send(`<presence xmlns='jabber:client'><show>dnd</show></presence>`);
    await b.nothing(presenceFrom(a.jid), 400);

    await iq(a, "set", `<unblock xmlns='${NS_BLOCKING}'><item jid='${bob.bare}'/></unblock>`);
    const again = await b.next(presenceFrom(a.jid));
    expect(again.getChildText("show")).toBe("dnd");
    b.send(chat(a.jid, "back"));
    await a.next(isChat("back"));
  });

  it("a chat state from a JID the recipient blocks is refused, though earlier ones went straight to its connection (src/im/sender-view.ts)", async () => {
    const alice = await newUser("bl-alice");
    const bob = await newUser("bl-bob");
    const a = await on(alice.name, "a");
    const b = await on(bob.name, "b");
    const composing = (id: string) => `<message type='chat' to='${a.jid}' id='${id}'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`;
    const withId = (id: string) => (el: Element) => el.getName() === "message" && el.attrs.id === id;
    // The first teaches b's connection the route to a's; the next ones take it.
    for (const id of ["cs1", "cs2", "cs3"]) {
      b.send(composing(id));
      expect((await a.next(withId(id))).attrs).toMatchObject({ from: b.jid, type: "chat" });
    }
    await iq(a, "set", `<block xmlns='${NS_BLOCKING}'><item jid='${bob.bare}'/></block>`);
    b.send(composing("cs4"));
    const bounce = await b.next(withId("cs4"));
    expect(bounce.attrs).toMatchObject({ type: "error", from: a.jid });
    expect(stanzaError(bounce)).toEqual({ type: "cancel", condition: "service-unavailable" });
    await a.nothing(withId("cs4"), 300);
    await iq(a, "set", `<unblock xmlns='${NS_BLOCKING}'><item jid='${bob.bare}'/></unblock>`);
    b.send(composing("cs5"));
    await a.next(withId("cs5"));
  });

  it("a domain item blocks every JID at the domain (§5)", async () => {
    const alice = await newUser("bl-alice");
    const a = await on(alice.name, "a");
    await iq(a, "set", `<block xmlns='${NS_BLOCKING}'><item jid='reg.localhost'/></block>`);
    a.send(chat("someone@reg.localhost/x", "no", "", "dom"));
    const r = await a.next((el) => el.attrs.id === "dom");
    expect(r.getChild("error")!.getChild("blocked", "urn:xmpp:blocking:errors")).toBeDefined();
  });
});

describe("a privileged component's messages on a user's behalf (XEP-0356 message=outgoing)", () => {
  it("are blocked both ways: from a blocked user to the blocker, and from the blocker to a JID they blocked", async () => {
    const alice = await newUser("bl-alice", "priv.localhost");
    const bob = await newUser("bl-bob", "priv.localhost");
    const a = await on(alice.name, "a", { domain: "priv.localhost" });
    const b = await on(bob.name, "b", { domain: "priv.localhost" });
    await iq(a, "set", `<block xmlns='${NS_BLOCKING}'><item jid='${bob.bare}'/></block>`);
    const comp = track(await RawXmpp.component(gatewayUrl(), "priv.comp.localhost", "priv-secret"));
    await comp.next((el) => el.getName() === "message" && el.getChild("privilege", "urn:xmpp:privilege:2") !== undefined);
    const onBehalf = (from: string, to: string, body: string) =>
      comp.send(`<message to='priv.localhost' id='pm-${body}'><privilege xmlns='urn:xmpp:privilege:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
        `<message xmlns='jabber:client' from='${from}' to='${to}' type='chat'><body>${body}</body></message></forwarded></privilege></message>`);
    onBehalf(bob.bare, a.jid, "bob-via-component");
    onBehalf(alice.bare, b.jid, "alice-via-component");
    await a.nothing(isChat("bob-via-component"), 600);
    await b.nothing(isChat("alice-via-component"), 200);
    // An unblocked pair still gets through, so the silence above is the blocking's.
    onBehalf(alice.bare, a.jid, "to-self");
    await a.next(isChat("to-self"));
  });
});
