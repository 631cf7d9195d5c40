// XEP-0356 §4.5 presence access over real sockets: managed_entity and roster, initial
// presences when the entity connects, de-duplication, host scoping.
// Checklist items (shared/xep0356.md): #32–#41.
import { describe, expect, it } from "vitest";
import { isPresence, rosterGet, rosterItems } from "./support/im";
import type { Element, RawXmpp } from "./support/raw-client";
import { COMP, NONE, RO, closeAfterEach, component, entityUser, newUser, onlineUser, sleep } from "./privilege-support";

closeAfterEach();

const CAPS = "http://jabber.org/protocol/caps";
const presenceFrom = (from: string) => (el: Element) => el.getName() === "presence" && el.attrs.from === from;

/** `subscriber` subscribes to `contact`'s presence and `contact` approves (subscriber: 'to'). */
async function subscribe(subscriber: RawXmpp, subscriberBare: string, contact: RawXmpp, contactBare: string): Promise<void> {
  subscriber.send(`<presence xmlns='jabber:client' to='${contactBare}' type='subscribe'/>`);
  await contact.next(isPresence(subscriberBare, "subscribe"));
  contact.send(`<presence xmlns='jabber:client' to='${subscriberBare}' type='subscribed'/>`);
  await subscriber.next(isPresence(contactBare, "subscribed"));
}

/** Every presence from `from` the connection receives within `ms`. */
async function allFrom(c: RawXmpp, from: string, ms: number): Promise<Element[]> {
  await sleep(ms);
  const out: Element[] = [];
  for (;;) {
    const el = await c.next(presenceFrom(from), 10).catch(() => undefined);
    if (!el) return out;
    out.push(el);
  }
}

describe("presence of the host's users (#32–#35, #39)", () => {
  it("#33 #34: available (children and caps intact) and unavailable, as directed presence from the full JID; no subscriptions or probes", async () => {
    const c = await component(COMP);
    const alice = await newUser("pr-alice");
    const bob = await newUser("pr-bob");
    const a = await onlineUser(alice.name, "laptop", { roster: true });
    const first = await c.next(presenceFrom(`${alice.bare}/laptop`));
    expect(first.attrs.to).toBe(COMP.jid);
    expect(first.attrs.type).toBeUndefined();
    a.send(`<presence xmlns='jabber:client' xml:lang='en' id='p1'><show>away</show><c xmlns='${CAPS}' hash='sha-1' node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`);
    const away = await c.next(presenceFrom(`${alice.bare}/laptop`));
    expect(away.attrs).toMatchObject({ to: COMP.jid, id: "p1", "xml:lang": "en" });
    expect(away.getChildText("show")).toBe("away");
    expect(away.getChild("c", CAPS)?.attrs).toMatchObject({ hash: "sha-1", node: "https://example.org", ver: "QgayPKawpkPSDYmwT/WM94uAlu0=" });
    // Subscription requests and their answers, and probes, never reach the entity.
    const b = await onlineUser(bob.name, "r");
    await c.next(presenceFrom(`${bob.bare}/r`));
    await subscribe(a, alice.bare, b, bob.bare);
    a.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    const gone = await c.next(presenceFrom(`${alice.bare}/laptop`));
    expect(gone.attrs.type).toBe("unavailable");
    const rest = [...(await allFrom(c, alice.bare, 300)), ...(await allFrom(c, bob.bare, 0))];
    expect(rest.map((p) => p.toString())).toEqual([]);
    for (const el of c.pending()) expect(["subscribe", "subscribed", "probe", "unsubscribe", "unsubscribed"]).not.toContain(el.attrs.type);
    // #33: the users' rosters are not modified.
    expect(rosterItems(await rosterGet(b)).map((i) => i.jid)).toEqual([alice.bare]);
  });

  it("#32 #35: managed_entity gets the users' presences but not their contacts'; none gets nothing", async () => {
    const ro = await component(RO);
    const none = await component(NONE);
    const alice = await newUser("pr-alice");
    const carl = await newUser("pr-carl", "localhost");
    const a = await onlineUser(alice.name, "r");
    await ro.next(presenceFrom(`${alice.bare}/r`));
    const k = await onlineUser(carl.name, "r", { domain: "localhost" });
    await subscribe(a, alice.bare, k, carl.bare);
    await a.next(presenceFrom(`${carl.bare}/r`)); // alice has carl's presence ...
    await ro.nothing(presenceFrom(`${carl.bare}/r`), 600); // ... the managed_entity entity does not
    await none.nothing((el) => el.getName() === "presence", 300);
  });
});

describe("presence of the users' contacts (#36–#38)", () => {
  it("#37: presences the users receive from contacts, from the contact's full JID, caps kept", async () => {
    const c = await component(COMP);
    const alice = await newUser("pr-alice");
    const carl = await newUser("pr-carl", "localhost");
    const a = await onlineUser(alice.name, "r");
    const k = await onlineUser(carl.name, "desk", { domain: "localhost" });
    await subscribe(a, alice.bare, k, carl.bare);
    const initial = await c.next(presenceFrom(`${carl.bare}/desk`));
    expect(initial.attrs.to).toBe(COMP.jid);
    k.send(`<presence xmlns='jabber:client'><show>dnd</show><c xmlns='${CAPS}' hash='sha-1' node='n' ver='v'/></presence>`);
    const dnd = await c.next(presenceFrom(`${carl.bare}/desk`));
    expect(dnd.getChildText("show")).toBe("dnd");
    expect(dnd.getChild("c", CAPS)?.attrs.ver).toBe("v");
    k.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    expect((await c.next(presenceFrom(`${carl.bare}/desk`))).attrs.type).toBe("unavailable");
  });

  it("#38: also while the managed user is offline", async () => {
    const c = await component(COMP);
    const alice = await newUser("pr-alice");
    const carl = await newUser("pr-carl", "localhost");
    const a = await onlineUser(alice.name, "r");
    const k = await onlineUser(carl.name, "desk", { domain: "localhost" });
    await subscribe(a, alice.bare, k, carl.bare);
    await c.next(presenceFrom(`${carl.bare}/desk`));
    a.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    await c.next((el) => presenceFrom(`${alice.bare}/r`)(el) && el.attrs.type === "unavailable");
    k.send(`<presence xmlns='jabber:client'><show>xa</show></presence>`);
    const xa = await c.next(presenceFrom(`${carl.bare}/desk`));
    expect(xa.getChildText("show")).toBe("xa");
  });
});

describe("review fixes (I5, I6)", () => {
  it("I5: a directed presence from someone who is not a contact reaches the user, not the `roster` entity", async () => {
    const c = await component(COMP);
    const alice = await newUser("pr-alice");
    const stranger = await newUser("pr-stranger", "localhost");
    const a = await onlineUser(alice.name, "r");
    const s = await onlineUser(stranger.name, "x", { domain: "localhost" });
    await c.next(presenceFrom(`${alice.bare}/r`));
    s.send(`<presence xmlns='jabber:client' to='${alice.bare}'><status>hello</status></presence>`);
    expect((await a.next(presenceFrom(`${stranger.bare}/x`))).getChildText("status")).toBe("hello");
    s.send(`<presence xmlns='jabber:client' to='${alice.bare}' type='unavailable'/>`);
    await a.next(presenceFrom(`${stranger.bare}/x`));
    await c.nothing(presenceFrom(`${stranger.bare}/x`), 600);
  });

  it("I6: the same directed presence to two rooms at the component reaches it twice (MUC joins)", async () => {
    const c = await component(COMP);
    const alice = await newUser("pr-alice");
    const a = await onlineUser(alice.name, "r");
    await c.next(presenceFrom(`${alice.bare}/r`));
    for (const room of ["room1", "room2", "room1"]) {
      a.send(`<presence xmlns='jabber:client' to='${room}@${COMP.jid}/al'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
      const join = await c.next(presenceFrom(`${alice.bare}/r`));
      expect(join.attrs.to, room).toBe(`${room}@${COMP.jid}/al`);
      expect(join.getChild("x", "http://jabber.org/protocol/muc"), room).toBeDefined();
    }
    // The privileged copies keep their de-duplication: leaving sends one unavailable copy.
    a.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    const gone = await allFrom(c, `${alice.bare}/r`, 800);
    expect(gone.filter((p) => p.attrs.to === COMP.jid).map((p) => p.attrs.type)).toEqual(["unavailable"]);
  });
});

describe("when the entity connects (#40, #41)", () => {
  it("#40: the current presences of the host's online users and of their contacts, each once; other hosts' users never", async () => {
    const alice = await newUser("pr-alice");
    const bea = await newUser("pr-bea");
    const carl = await newUser("pr-carl", "localhost");
    const stranger = await newUser("pr-stranger", "localhost");
    const a = await onlineUser(alice.name, "r", { show: "chat" });
    const b = await onlineUser(bea.name, "r");
    const k = await onlineUser(carl.name, "desk", { domain: "localhost", show: "away" });
    await onlineUser(stranger.name, "r", { domain: "localhost" });
    // carl is a contact of both alice and bea.
    await subscribe(a, alice.bare, k, carl.bare);
    await subscribe(b, bea.bare, k, carl.bare);
    await a.next(presenceFrom(`${carl.bare}/desk`));
    await b.next(presenceFrom(`${carl.bare}/desk`));
    const c = await component(COMP);
    expect((await c.next(presenceFrom(`${alice.bare}/r`))).getChildText("show")).toBe("chat");
    await c.next(presenceFrom(`${bea.bare}/r`));
    const fromCarl = await c.next(presenceFrom(`${carl.bare}/desk`));
    expect(fromCarl.getChildText("show")).toBe("away");
    expect(fromCarl.attrs.to).toBe(COMP.jid);
    // Each once (#41: not once per user whose roster has carl); another host's user who is
    // nobody's contact never.
    await sleep(800);
    for (const from of [`${alice.bare}/r`, `${bea.bare}/r`, `${carl.bare}/desk`, `${stranger.bare}/r`]) {
      expect(await allFrom(c, from, 0), from).toEqual([]);
    }
  });

  it("#38 #40: a contact's presence received while its user was offline (and the entity away) is sent on connect; a gone one is not", async () => {
    const alice = await newUser("pr-alice");
    const carl = await newUser("pr-carl", "localhost");
    const dora = await newUser("pr-dora", "localhost");
    const a = await onlineUser(alice.name, "r");
    const k = await onlineUser(carl.name, "desk", { domain: "localhost" });
    const d = await onlineUser(dora.name, "desk", { domain: "localhost" });
    await subscribe(a, alice.bare, k, carl.bare);
    await subscribe(a, alice.bare, d, dora.bare);
    a.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    await sleep(300);
    k.send(`<presence xmlns='jabber:client'><show>xa</show></presence>`);
    d.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    await sleep(500);
    const c = await component(COMP);
    expect((await c.next(presenceFrom(`${carl.bare}/desk`))).getChildText("show")).toBe("xa");
    await sleep(800);
    expect(await allFrom(c, `${carl.bare}/desk`, 0)).toEqual([]);
    expect(await allFrom(c, `${dora.bare}/desk`, 0)).toEqual([]);
    expect(await allFrom(c, `${alice.bare}/r`, 0)).toEqual([]);
  });

  it("#41: a contact in several users' rosters reaches the entity once per change", async () => {
    const alice = await newUser("pr-alice");
    const bea = await newUser("pr-bea");
    const carl = await newUser("pr-carl", "localhost");
    const a = await onlineUser(alice.name, "r");
    const b = await onlineUser(bea.name, "r");
    const k = await onlineUser(carl.name, "desk", { domain: "localhost" });
    await subscribe(a, alice.bare, k, carl.bare);
    await subscribe(b, bea.bare, k, carl.bare);
    const c = await component(COMP);
    await c.next(presenceFrom(`${carl.bare}/desk`)); // the initial presence, once
    k.send(`<presence xmlns='jabber:client'><status>one</status></presence>`);
    await a.next((el) => presenceFrom(`${carl.bare}/desk`)(el) && el.getChildText("status") === "one");
    await b.next((el) => presenceFrom(`${carl.bare}/desk`)(el) && el.getChildText("status") === "one");
    expect((await c.next(presenceFrom(`${carl.bare}/desk`))).getChildText("status")).toBe("one");
    expect(await allFrom(c, `${carl.bare}/desk`, 800)).toEqual([]);
  });

  it("#41: a managed user who is also a contact of another managed user is sent once", async () => {
    const c = await component(COMP);
    const alice = await newUser("pr-alice");
    const bea = await newUser("pr-bea");
    const a = await onlineUser(alice.name, "r");
    const b = await onlineUser(bea.name, "r");
    await subscribe(a, alice.bare, b, bea.bare);
    await c.next(presenceFrom(`${bea.bare}/r`)); // her initial presence
    b.send(`<presence xmlns='jabber:client'><status>two</status></presence>`);
    await a.next((el) => presenceFrom(`${bea.bare}/r`)(el) && el.getChildText("status") === "two");
    expect((await c.next((el) => presenceFrom(`${bea.bare}/r`)(el) && el.getChildText("status") === "two")).attrs.to).toBe(COMP.jid);
    const again = await allFrom(c, `${bea.bare}/r`, 800);
    expect(again.map((p) => p.getChildText("status"))).not.toContain("two");
  });
});

describe("a privileged user account (#32, #33)", () => {
  it("managed_entity: its resource receives the host's users' presences, and current ones on its initial presence", async () => {
    const alice = await newUser("pr-alice");
    const a = await onlineUser(alice.name, "early", { show: "away" });
    const entity = await entityUser("ent-roster");
    const e = await onlineUser("ent-roster", "pres");
    const current = await e.next(presenceFrom(`${alice.bare}/early`));
    expect(current.attrs.to).toBe(`${entity}/pres`);
    expect(current.getChildText("show")).toBe("away");
    a.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    const gone = await e.next(presenceFrom(`${alice.bare}/early`));
    expect(gone.attrs.type).toBe("unavailable");
  });
});
