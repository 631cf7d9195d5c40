// Subscriptions and presence between real sessions.
// References: RFC 6121 §3.1 (subscribe / approve, with the roster pushes of §3.1.2, §3.1.5,
// §3.1.6), §3.2 (cancel), §3.3 (unsubscribe), §4.2 (initial presence, probes §4.2.2, echo to
// own resources), §4.3 (probes), §4.4 (subsequent presence), §4.5 (unavailable, also when the
// stream ends §4.5.2 / RFC 6120 §7.7.2), §4.6 (directed presence).
import { beforeEach, describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { isPresence, isPush, online, pushItem, rosterItems, rosterGet } from "./support/im";
import { NS_FRAMING, RawXmpp } from "./support/raw-client";

const base = () => gatewayUrl();

/** Alice and Bob online (roster requested, initial presence sent) with a mutual-free roster. */
async function pair() {
  const a = uniqueName("pres-alice");
  const b = uniqueName("pres-bob");
  await createUser(`${a}@localhost`);
  await createUser(`${b}@localhost`);
  return { a, b, aBare: `${a}@localhost`, bBare: `${b}@localhost` };
}

/** Runs the full handshake: alice subscribes to bob, bob approves (alice: 'to', bob: 'from'). */
async function subscribe(alice: RawXmpp, bob: RawXmpp, aBare: string, bBare: string) {
  alice.send(`<presence xmlns='jabber:client' to='${bBare}' type='subscribe'/>`);
  await alice.next(isPush(bBare));
  await bob.next(isPresence(aBare, "subscribe"));
  bob.send(`<presence xmlns='jabber:client' to='${aBare}' type='subscribed'/>`);
  await bob.next(isPush(aBare));
  // 'to', or 'both' when bob was already subscribed to alice.
  await alice.next((el) => isPush(bBare)(el) && pushItem(el).ask === undefined && ["to", "both"].includes(pushItem(el).subscription!));
  await alice.next(isPresence(bBare, "subscribed"));
}

describe("the subscription handshake (RFC 6121 §3.1)", () => {
  let u: Awaited<ReturnType<typeof pair>>;
  beforeEach(async () => {
    u = await pair();
  });

  it("subscribe → pushes and delivery; subscribed → pushes, presence flows to the subscriber only", async () => {
    const alice = await online(base(), u.a, "phone");
    const bob = await online(base(), u.b, "laptop");

    // §3.1.2: alice's server pushes the item with ask='subscribe' and routes the request from her bare JID.
    alice.send(`<presence xmlns='jabber:client' to='${u.bBare}' type='subscribe' id='sub1'/>`);
    const askPush = await alice.next(isPush(u.bBare));
    expect(pushItem(askPush)).toEqual({ jid: u.bBare, subscription: "none", ask: "subscribe" });
    const request = await bob.next(isPresence(u.aBare, "subscribe"));
    expect(request.attrs.to).toBe(u.bBare);
    expect(request.attrs.id).toBe("sub1");
    // §3.1.3: bob's roster gets no item before he approves.
    await bob.nothing(isPush(), 300);
    expect(rosterItems(await rosterGet(bob))).toEqual([]);

    // §3.1.5: bob approves; his server pushes alice with subscription='from' ...
    bob.send(`<presence xmlns='jabber:client' to='${u.aBare}' type='subscribed'/>`);
    const fromPush = await bob.next(isPush(u.aBare));
    expect(pushItem(fromPush)).toEqual({ jid: u.aBare, subscription: "from" });
    // §3.1.6: ... alice's server pushes bob with subscription='to', delivers 'subscribed' ...
    const toPush = await alice.next((el) => isPush(u.bBare)(el) && pushItem(el).subscription === "to");
    expect(pushItem(toPush)).toEqual({ jid: u.bBare, subscription: "to" });
    const subscribed = await alice.next(isPresence(u.bBare, "subscribed"));
    expect(subscribed.attrs.to).toBe(u.aBare);
    // ... and bob's current presence reaches alice from his full JID.
    const bobPresence = await alice.next(isPresence(`${u.bBare}/laptop`));
    expect(bobPresence.attrs.to).toBe(u.aBare);

    // §4.4: bob's presence changes reach alice; alice's do not reach bob (he has no 'to').
    bob.send(`<presence xmlns='jabber:client'><show>away</show><status>lunch</status></presence>`);
    const away = await alice.next((el) => isPresence(`${u.bBare}/laptop`)(el) && el.getChildText("show") === "away");
    expect(away.attrs.to).toBe(u.aBare);
    expect(away.getChildText("status")).toBe("lunch");
    alice.send(`<presence xmlns='jabber:client'><show>dnd</show></presence>`);
    await bob.nothing(isPresence(`${u.aBare}/phone`), 500);

    // The final rosters (§2.1.2.5).
    expect(rosterItems(await rosterGet(alice))).toEqual([{ jid: u.bBare, subscription: "to" }]);
    expect(rosterItems(await rosterGet(bob))).toEqual([{ jid: u.aBare, subscription: "from" }]);

    // §4.5.2: bob goes offline cleanly; alice receives unavailable from his full JID.
    bob.send(`<close xmlns='${NS_FRAMING}'/>`);
    const gone = await alice.next(isPresence(`${u.bBare}/laptop`, "unavailable"));
    expect(gone.attrs.to).toBe(u.aBare);
    alice.close();
  });

  it("mutual subscription gives 'both' on each side, and presence flows both ways", async () => {
    const alice = await online(base(), u.a, "r");
    const bob = await online(base(), u.b, "r");
    await subscribe(alice, bob, u.aBare, u.bBare);
    await subscribe(bob, alice, u.bBare, u.aBare);
    expect(rosterItems(await rosterGet(alice))).toEqual([{ jid: u.bBare, subscription: "both" }]);
    expect(rosterItems(await rosterGet(bob))).toEqual([{ jid: u.aBare, subscription: "both" }]);
    alice.send(`<presence xmlns='jabber:client'><show>chat</show></presence>`);
    const p = await bob.next((el) => isPresence(`${u.aBare}/r`)(el) && el.getChildText("show") === "chat");
    expect(p.attrs.to).toBe(u.bBare);
    alice.close();
    bob.close();
  });

  it("a request to an offline contact is delivered when the contact comes online (§3.1.3)", async () => {
    const alice = await online(base(), u.a, "r");
    alice.send(`<presence xmlns='jabber:client' to='${u.bBare}' type='subscribe'/>`);
    await alice.next(isPush(u.bBare));
    const bob = await RawXmpp.login(base(), { username: u.b, resource: "late" });
    bob.send(`<presence xmlns='jabber:client'/>`);
    const req = await bob.next(isPresence(u.aBare, "subscribe"));
    expect(req.attrs.to).toBe(u.bBare);
    alice.close();
    bob.close();
  });

  it("a denied request (unsubscribed) clears ask and is delivered (§3.2)", async () => {
    const alice = await online(base(), u.a, "r");
    const bob = await online(base(), u.b, "r");
    alice.send(`<presence xmlns='jabber:client' to='${u.bBare}' type='subscribe'/>`);
    await alice.next(isPush(u.bBare));
    await bob.next(isPresence(u.aBare, "subscribe"));
    bob.send(`<presence xmlns='jabber:client' to='${u.aBare}' type='unsubscribed'/>`);
    const push = await alice.next((el) => isPush(u.bBare)(el) && pushItem(el).ask === undefined);
    expect(pushItem(push)).toEqual({ jid: u.bBare, subscription: "none" });
    await alice.next(isPresence(u.bBare, "unsubscribed"));
    alice.close();
    bob.close();
  });

  it("unsubscribe: the subscriber loses 'to', the contact 'from', and unavailable presence follows (§3.3)", async () => {
    const alice = await online(base(), u.a, "r");
    const bob = await online(base(), u.b, "r");
    await subscribe(alice, bob, u.aBare, u.bBare);
    alice.send(`<presence xmlns='jabber:client' to='${u.bBare}' type='unsubscribe'/>`);
    const aPush = await alice.next((el) => isPush(u.bBare)(el) && pushItem(el).subscription === "none");
    expect(pushItem(aPush)).toEqual({ jid: u.bBare, subscription: "none" });
    const bPush = await bob.next((el) => isPush(u.aBare)(el) && pushItem(el).subscription === "none");
    expect(pushItem(bPush)).toEqual({ jid: u.aBare, subscription: "none" });
    await bob.next(isPresence(u.aBare, "unsubscribe"));
    // §3.3.3: bob's server sends alice unavailable presence from bob's resources.
    await alice.next(isPresence(`${u.bBare}/r`, "unavailable"));
    alice.close();
    bob.close();
  });

  it("removing a contact with 'both' sends unsubscribe and unsubscribed (§2.5.2)", async () => {
    const alice = await online(base(), u.a, "r");
    const bob = await online(base(), u.b, "r");
    await subscribe(alice, bob, u.aBare, u.bBare);
    await subscribe(bob, alice, u.bBare, u.aBare);
    alice.send(`<iq xmlns='jabber:client' type='set' id='rm'><query xmlns='jabber:iq:roster'><item jid='${u.bBare}' subscription='remove'/></query></iq>`);
    const push = await alice.next((el) => isPush(u.bBare)(el) && pushItem(el).subscription === "remove");
    expect(pushItem(push)).toEqual({ jid: u.bBare, subscription: "remove" });
    await bob.next(isPresence(u.aBare, "unsubscribe"));
    await bob.next(isPresence(u.aBare, "unsubscribed"));
    const bPush = await bob.next((el) => isPush(u.aBare)(el) && pushItem(el).subscription === "none");
    expect(pushItem(bPush)).toEqual({ jid: u.aBare, subscription: "none" });
    expect(rosterItems(await rosterGet(alice))).toEqual([]);
    alice.close();
    bob.close();
  });
});

describe("subscription edge cases (RFC 6121 §3)", () => {
  let u: Awaited<ReturnType<typeof pair>>;
  beforeEach(async () => {
    u = await pair();
  });

  it("an unsolicited 'subscribed' (no pre-approval support) changes nothing and is not delivered (§3.4)", async () => {
    const alice = await online(base(), u.a, "r");
    const bob = await online(base(), u.b, "r");
    bob.send(`<presence xmlns='jabber:client' to='${u.aBare}' type='subscribed'/>`);
    await alice.nothing((el) => el.getName() === "presence" && el.attrs.type === "subscribed", 500);
    await alice.nothing(isPush(), 100);
    expect(rosterItems(await rosterGet(alice))).toEqual([]);
    expect(rosterItems(await rosterGet(bob))).toEqual([]);
    alice.close();
    bob.close();
  });

  it("a repeated subscribe while pending is not pushed again (§3.1.2)", async () => {
    const alice = await online(base(), u.a, "r");
    alice.send(`<presence xmlns='jabber:client' to='${u.bBare}' type='subscribe'/>`);
    await alice.next(isPush(u.bBare));
    alice.send(`<presence xmlns='jabber:client' to='${u.bBare}' type='subscribe'/>`);
    await alice.nothing(isPush(), 500);
    alice.close();
  });

  it("the replaced session of a bind conflict goes unavailable for the contacts (RFC 6120 §7.7.2.2)", async () => {
    const alice = await online(base(), u.a, "w");
    const bob = await online(base(), u.b, "same");
    await subscribe(alice, bob, u.aBare, u.bBare);
    await alice.next(isPresence(`${u.bBare}/same`));
    const newer = await RawXmpp.login(base(), { username: u.b, resource: "same" });
    await alice.next(isPresence(`${u.bBare}/same`, "unavailable"));
    newer.send(`<presence xmlns='jabber:client'/>`);
    await alice.next(isPresence(`${u.bBare}/same`));
    alice.close();
    newer.close();
  });
});

describe("presence (RFC 6121 §4)", () => {
  let u: Awaited<ReturnType<typeof pair>>;
  beforeEach(async () => {
    u = await pair();
  });

  it("initial presence is echoed to the user's other resources (§4.2.2)", async () => {
    const a1 = await online(base(), u.a, "one");
    const a2 = await online(base(), u.a, "two", { show: "away" });
    const echo = await a1.next(isPresence(`${u.aBare}/two`));
    expect(echo.attrs.to).toBe(`${u.aBare}/one`);
    expect(echo.getChildText("show")).toBe("away");
    a1.close();
    a2.close();
  });

  it("initial presence probes the contacts the user is subscribed to (§4.2.2, §4.3)", async () => {
    const alice = await online(base(), u.a, "first");
    const bob = await online(base(), u.b, "desk", { show: "xa" });
    await subscribe(alice, bob, u.aBare, u.bBare);
    alice.close();
    // A new session of alice: its initial presence triggers a probe, answered with bob's presence.
    const again = await RawXmpp.login(base(), { username: u.a, resource: "second" });
    again.send(`<presence xmlns='jabber:client'/>`);
    const p = await again.next(isPresence(`${u.bBare}/desk`));
    expect(p.attrs.to).toBe(`${u.aBare}/second`);
    expect(p.getChildText("show")).toBe("xa");
    again.close();
    bob.close();
  });

  it("a probe from a non-subscriber is not answered (§4.3.2)", async () => {
    const alice = await online(base(), u.a, "r");
    const bob = await online(base(), u.b, "r");
    alice.send(`<presence xmlns='jabber:client' to='${u.bBare}' type='probe'/>`);
    await alice.nothing(isPresence(`${u.bBare}/r`), 600);
    alice.close();
    bob.close();
  });

  it("an unclean disconnect (socket dropped without <close/>) still broadcasts unavailable (§4.5.2)", async () => {
    const alice = await online(base(), u.a, "watcher");
    const bob = await online(base(), u.b, "flaky");
    await subscribe(alice, bob, u.aBare, u.bBare);
    await alice.next(isPresence(`${u.bBare}/flaky`));
    bob.terminate();
    const gone = await alice.next(isPresence(`${u.bBare}/flaky`, "unavailable"), 15_000);
    expect(gone.attrs.to).toBe(u.aBare);
    alice.close();
  });

  it("an explicit unavailable presence is broadcast and the session stays bound (§4.5)", async () => {
    const alice = await online(base(), u.a, "w");
    const bob = await online(base(), u.b, "b");
    await subscribe(alice, bob, u.aBare, u.bBare);
    bob.send(`<presence xmlns='jabber:client' type='unavailable'><status>bye</status></presence>`);
    const gone = await alice.next(isPresence(`${u.bBare}/b`, "unavailable"));
    expect(gone.getChildText("status")).toBe("bye");
    const pong = await bob.iq(`<iq xmlns='jabber:client' type='get' id='still' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "still");
    expect(pong.attrs.type).toBe("result");
    alice.close();
    bob.close();
  });

  it("directed presence reaches a non-contact, and so does the unavailable when the sender leaves (§4.6)", async () => {
    const alice = await online(base(), u.a, "home");
    const carol = await online(base(), u.b, "c");
    carol.send(`<presence xmlns='jabber:client' to='${u.aBare}/home'><show>chat</show></presence>`);
    const p = await alice.next(isPresence(`${u.bBare}/c`));
    expect(p.attrs.to).toBe(`${u.aBare}/home`);
    expect(p.getChildText("show")).toBe("chat");
    // Broadcast presence does not reach alice (no subscription).
    carol.send(`<presence xmlns='jabber:client'><show>away</show></presence>`);
    await alice.nothing(isPresence(`${u.bBare}/c`), 500);
    carol.close();
    const gone = await alice.next(isPresence(`${u.bBare}/c`, "unavailable"));
    expect(gone.attrs.to).toBe(`${u.aBare}/home`);
    alice.close();
  });

  it("presence to a bare JID goes to every available resource (RFC 6121 §8.5.2.1.2)", async () => {
    const a1 = await online(base(), u.a, "x1", { priority: 5 });
    const a2 = await online(base(), u.a, "x2", { priority: -1 });
    const bob = await online(base(), u.b, "d");
    bob.send(`<presence xmlns='jabber:client' to='${u.aBare}'/>`);
    await a1.next(isPresence(`${u.bBare}/d`));
    await a2.next(isPresence(`${u.bBare}/d`));
    for (const c of [a1, a2, bob]) c.close();
  });
});
