// A broadcast presence goes straight to each contact's available connections once the
// routes are learned (src/im/presence-straight.ts); what it must still respect, as the
// contact's account did: RFC 6121 §4.4.3 (every available resource, and only those),
// §4.3 (a resource that comes online later is reached), XEP-0191 §3.3 (a contact's
// blocklist drops it), XEP-0198 (a resumed stream, whose availability the new connection
// does not know, still gets it).
import { describe, expect, it } from "vitest";
import { gatewayUrl } from "./support/gateway";
import type { Element } from "./support/raw-client";
import { resume, smLogin } from "./support/sm";
import { NS_BLOCKING, type Client, befriend, closeAfterEach, iq, newUser, on, track } from "./user-data-support";

closeAfterEach();

// A host without a XEP-0356 entity that receives the contacts' presences (localhost has
// one: there the contact's account makes the copies, so presences keep passing it).
const HOST = "reg.localhost";
const user = (prefix: string) => newUser(prefix, HOST);
const login = (name: string, resource: string) => on(name, resource, { domain: HOST });

/** `follower` subscribes to `followed` (RFC 6121 §3.1), one way: followed gets 'from',
 *  follower 'to'. So `followed` hears nothing of the follower's presence: its isolate learns
 *  of the follower's resources only from the follower's probes. */
async function follow(follower: Client, followerBare: string, followed: Client, followedBare: string): Promise<void> {
  follower.send(`<presence xmlns='jabber:client' type='subscribe' to='${followedBare}'/>`);
  await followed.next((el) => el.getName() === "presence" && el.attrs.type === "subscribe" && el.attrs.from === followerBare);
  followed.send(`<presence xmlns='jabber:client' type='subscribed' to='${followerBare}'/>`);
  await follower.next((el) => el.getName() === "presence" && el.attrs.from === followed.jid && el.attrs.type === undefined);
}

const show = (value: string) => `<presence xmlns='jabber:client'><show>${value}</show></presence>`;
const showFrom = (jid: string, value: string) => (el: Element) =>
  el.getName() === "presence" && el.attrs.from === jid && el.getChildText("show") === value;

describe("broadcast presence straight to the contacts' connections", () => {
  it("reaches every available resource, a resource that came online later, and not one that went unavailable", async () => {
    const alice = await user("ps-alice");
    const bob = await user("ps-bob");
    const a = await login(alice.name, "a");
    const b1 = await login(bob.name, "b1");
    await follow(b1, bob.bare, a, alice.bare);
    // Several rounds: the first passes bob's account and teaches the route, the rest go straight.
    for (const v of ["away", "xa", "dnd"]) {
      a.send(show(v));
      await b1.next(showFrom(a.jid, v));
    }
    // A second resource of bob comes online after the routes were learned: its probe makes
    // them learned again, so it is not left out.
    const b2 = await login(bob.name, "b2");
    await b2.next(showFrom(a.jid, "dnd")); // the answer to its probe: alice's current presence
    a.send(show("chat"));
    await b1.next(showFrom(a.jid, "chat"));
    await b2.next(showFrom(a.jid, "chat"));
    // b2 goes unavailable but stays connected: broadcasts are for available resources only.
    b2.send(`<presence xmlns='jabber:client' type='unavailable'/>`);
    await b1.next((el) => el.getName() === "presence" && el.attrs.from === b2.jid && el.attrs.type === "unavailable");
    for (const v of ["away", "xa"]) {
      a.send(show(v));
      await b1.next(showFrom(a.jid, v));
    }
    await b2.nothing((el) => el.getName() === "presence" && el.attrs.from === a.jid, 500);
    // Available again: it gets them again.
    b2.send(`<presence xmlns='jabber:client'/>`);
    await b2.next(showFrom(a.jid, "xa")); // its probe's answer
    a.send(show("dnd"));
    await b2.next(showFrom(a.jid, "dnd"));
    await b1.next(showFrom(a.jid, "dnd"));
  });

  it("is dropped by a contact's connection whose account blocks the sender (XEP-0191 §3.3), and flows again after unblock", async () => {
    const alice = await user("ps-alice");
    const bob = await user("ps-bob");
    const a = await login(alice.name, "a");
    const b = await login(bob.name, "b");
    const a2 = await login(alice.name, "a2"); // sees alice's own broadcasts: when they have been sent
    await follow(b, bob.bare, a, alice.bare);
    for (const v of ["away", "xa", "dnd"]) {
      a.send(show(v));
      await b.next(showFrom(a.jid, v));
    }
    await iq(b, "set", `<block xmlns='${NS_BLOCKING}'><item jid='${alice.bare}'/></block>`);
    for (const v of ["chat", "away", "xa", "dnd"]) {
      a.send(show(v));
      await a2.next(showFrom(a.jid, v));
    }
    await b.nothing((el) => el.getName() === "presence" && el.attrs.from === a.jid && el.attrs.type !== "unavailable", 500);
    await iq(b, "set", `<unblock xmlns='${NS_BLOCKING}'><item jid='${alice.bare}'/></unblock>`);
    a.send(show("away"));
    await b.next(showFrom(a.jid, "away"));
  });

  it("reaches a contact's stream resumed on a new connection (XEP-0198), which does not know its own availability yet", async () => {
    const base = gatewayUrl();
    const alice = await user("ps-alice");
    const bob = await user("ps-bob");
    const a = await login(alice.name, "a");
    const bobSm = await smLogin(base, bob.name, "phone", { presence: true, domain: HOST });
    const b = track(Object.assign(bobSm.c, { jid: bobSm.jid }));
    await befriend(a, alice.bare, b, bob.bare);
    for (const v of ["away", "xa"]) {
      a.send(show(v));
      await b.next(showFrom(a.jid, v));
    }
    b.terminate(); // the socket is cut: the session waits for resumption
    await b.closed;
    const again = await resume(base, bob.name, bobSm.id, 0, "pw", HOST);
    track(again.c);
    expect(again.answer.getName()).toBe("resumed");
    // The first goes to the old connection's route, which no longer holds the session; the
    // next ones to the new connection once learned, which leaves them to the account.
    for (const v of ["dnd", "chat", "away", "xa"]) {
      a.send(show(v));
      await again.c.next(showFrom(a.jid, v));
    }
  });
});
