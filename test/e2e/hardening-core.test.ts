// Issue 14 (hardening), the items that live in the core: what an account deletion tells
// its contacts (item 3), SASL attempts on one stream (item 5), quotas fair per sender
// (item 10), bounds on resources (item 12). Over real sockets.
// References: RFC 6121 §2.5.2, §3.2, §3.3 (roster removal), RFC 6120 §6.4.5 (SASL retries),
// §8.3.3.12 (resource-constraint), CONTRACT.md "Administration API" (DELETE).
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { ADMIN_TOKEN } from "./support/config";
import { isPresence, isPush, online, pushItem, rosterGet, rosterItems } from "./support/im";
import { RawXmpp, b64, is, streamCondition } from "./support/raw-client";
import { wsUrl } from "./support/gateway";

async function subscribed(a: RawXmpp & { jid: string }, b: RawXmpp & { jid: string }) {
  const [aBare, bBare] = [a.jid.split("/")[0]!, b.jid.split("/")[0]!];
  for (const [x, y, xb, yb] of [[a, b, aBare, bBare], [b, a, bBare, aBare]] as const) {
    x.send(`<presence xmlns='jabber:client' to='${yb}' type='subscribe'/>`);
    await y.next(isPresence(xb, "subscribe"));
    y.send(`<presence xmlns='jabber:client' to='${xb}' type='subscribed'/>`);
    await x.next(isPresence(yb, "subscribed"));
  }
}

describe("deleting an account (issue 14 item 3)", () => {
  it("its contacts lose the subscription both ways, get a roster push, see it unavailable; a re-created account inherits nothing", async () => {
    const [alice, bob] = [uniqueName("del-alice"), uniqueName("del-bob")];
    await createUser(`${alice}@localhost`);
    await createUser(`${bob}@localhost`);
    const a = await online(gatewayUrl(), alice, "a");
    const b = await online(gatewayUrl(), bob, "b");
    await subscribed(a, b);
    expect(rosterItems(await rosterGet(b)).find((i) => i.jid === `${alice}@localhost`)?.subscription).toBe("both");

    const res = await fetch(`${gatewayUrl()}/admin/users/${alice}@localhost`, { method: "DELETE", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(204);
    await b.next(isPresence(`${alice}@localhost/a`, "unavailable"));
    // The contact's roster: subscription none, pushed to its interested resource.
    await b.next((el) => isPush(`${alice}@localhost`)(el) && pushItem(el).subscription === "none");
    expect(rosterItems(await rosterGet(b)).find((i) => i.jid === `${alice}@localhost`)?.subscription).toBe("none");

    // Re-created: no roster, and bob's presence does not flow to it.
    await createUser(`${alice}@localhost`, "new-pw");
    const again = await online(gatewayUrl(), alice, "again", { password: "new-pw" });
    expect(rosterItems(await rosterGet(again))).toEqual([]);
    b.send(`<presence xmlns='jabber:client'><status>private</status></presence>`);
    await again.nothing((el) => el.getName() === "presence" && el.attrs.from === b.jid, 800);
    again.close();
    b.close();
  });
});

describe("SASL attempts on one stream (issue 14 item 5)", () => {
  it("repeated <auth> without finishing is bounded: the stream ends with policy-violation", async () => {
    const name = uniqueName("sasl-flood");
    await createUser(`${name}@localhost`);
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    const first = b64(`n,,n=${name},r=abcdefghijklmnop`);
    let challenges = 0;
    let ended = false;
    for (let i = 0; i < 40 && !ended; i++) {
      c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${first}</auth>`);
      const el = await c.next((e) => e.getName() === "challenge" || e.getName() === "failure" || is.streamError()(e), 8000);
      if (el.getName() === "challenge") challenges++;
      if (is.streamError()(el)) {
        expect(streamCondition(el)).toBe("policy-violation");
        ended = true;
      }
    }
    expect(ended).toBe(true);
    expect(challenges).toBeLessThanOrEqual(10);
    c.close();
  });
});

describe("quotas fair per sender (issue 14 item 10)", () => {
  const ECHO = { jid: "echo.comp.localhost", secret: "echo-secret" };

  it("a component counts as one sender in offline storage, whatever JIDs at its domain it writes from", async () => {
    const name = uniqueName("quota-off");
    await createUser(`${name}@localhost`);
    const comp = await RawXmpp.component(gatewayUrl(), ECHO.jid, ECHO.secret);
    const refused: string[] = [];
    for (let i = 0; i < 110; i++) comp.send(`<message xmlns='jabber:component:accept' from='u${i}@${ECHO.jid}' to='${name}@localhost' id='q${i}' type='chat'><body>${i}</body></message>`);
    for (;;) {
      const el = await comp.next((e) => e.getName() === "message" && e.attrs.type === "error", 3000).catch(() => null);
      if (!el) break;
      refused.push(el.attrs.id!);
    }
    // 100 kept (one sender's share of the store), the rest refused with service-unavailable.
    expect(refused.length).toBe(10);
    // A real user still gets in.
    const friend = uniqueName("quota-friend");
    await createUser(`${friend}@localhost`);
    const f = await RawXmpp.login(gatewayUrl(), { username: friend, resource: "f" });
    f.send(`<message xmlns='jabber:client' to='${name}@localhost' id='real' type='chat'><body>hello</body></message>`);
    await f.nothing((e) => e.getName() === "message" && e.attrs.type === "error", 800);
    const u = await online(gatewayUrl(), name, "r");
    await u.next((e) => e.getName() === "message" && e.attrs.id === "real", 8000);
    u.close();
    f.close();
    comp.close();
  });

  it("a component's subscription requests take at most 20 of the 500 pending places; a user's request is still kept", async () => {
    const name = uniqueName("quota-sub");
    await createUser(`${name}@localhost`);
    const comp = await RawXmpp.component(gatewayUrl(), ECHO.jid, ECHO.secret);
    for (let i = 0; i < 30; i++) comp.send(`<presence xmlns='jabber:component:accept' type='subscribe' from='s${i}@${ECHO.jid}' to='${name}@localhost'/>`);
    const friend = uniqueName("quota-subfriend");
    await createUser(`${friend}@localhost`);
    const f = await RawXmpp.login(gatewayUrl(), { username: friend, resource: "f" });
    await new Promise((r) => setTimeout(r, 500));
    f.send(`<presence xmlns='jabber:client' type='subscribe' to='${name}@localhost'/>`);
    await new Promise((r) => setTimeout(r, 500));
    // RFC 6121 §3.1.3: pending requests are redelivered on initial presence.
    const u = await RawXmpp.login(gatewayUrl(), { username: name, resource: "r" });
    u.send(`<presence xmlns='jabber:client'/>`);
    await u.next(isPresence(`${friend}@localhost`, "subscribe"), 8000);
    await new Promise((r) => setTimeout(r, 800));
    const fromComponent = u.pending().filter((e) => e.getName() === "presence" && e.attrs.type === "subscribe" && (e.attrs.from ?? "").endsWith(`@${ECHO.jid}`));
    expect(fromComponent.length).toBe(20);
    u.close();
    f.close();
    comp.close();
  });
});

describe("order and bounds around a session (issue 14 items 9, 12, 13)", () => {
  it("item 9: offline messages come before messages sent while the resource comes online (RFC 6120 §10.1)", async () => {
    const [name, sender] = [uniqueName("ord-user"), uniqueName("ord-sender")];
    await createUser(`${name}@localhost`);
    await createUser(`${sender}@localhost`);
    const s = await RawXmpp.login(gatewayUrl(), { username: sender, resource: "s" });
    for (let i = 0; i < 60; i++) s.send(`<message xmlns='jabber:client' type='chat' to='${name}@localhost' id='old${i}'><body>old ${i}</body></message>`);
    await s.nothing((e) => e.attrs.type === "error", 1000);
    const u = await RawXmpp.login(gatewayUrl(), { username: name, resource: "r" });
    u.send(`<presence xmlns='jabber:client'/>`);
    for (let i = 0; i < 15; i++) s.send(`<message xmlns='jabber:client' type='chat' to='${name}@localhost' id='new${i}'><body>new ${i}</body></message>`);
    const ids: string[] = [];
    while (ids.length < 75) ids.push((await u.next((e) => e.getName() === "message", 10_000)).attrs.id!);
    const firstNew = ids.findIndex((id) => id.startsWith("new"));
    expect(ids.slice(0, 60)).toEqual(Array.from({ length: 60 }, (_, i) => `old${i}`));
    expect(firstNew).toBe(60);
    u.close();
    s.close();
  });

  it("item 12: an account binds at most 64 resources; the next bind gets resource-constraint and its stream stays", async () => {
    const name = uniqueName("many-res");
    await createUser(`${name}@localhost`);
    const conns = await Promise.all(Array.from({ length: 64 }, (_, i) => RawXmpp.login(gatewayUrl(), { username: name, resource: `r${i}` })));
    const extra = await RawXmpp.open(wsUrl(gatewayUrl()));
    await extra.openStream("localhost");
    await extra.authenticate("PLAIN", name, "pw");
    await extra.openStream("localhost");
    const answer = await extra.iq(`<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>one-more</resource></bind></iq>`, "b1");
    expect(answer.attrs.type).toBe("error");
    expect(answer.getChild("error")?.getChild("resource-constraint", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    // Rebinding an existing resource is not a new one: it replaces the older session.
    const again = await RawXmpp.login(gatewayUrl(), { username: name, resource: "r0" });
    expect(again.jid).toBe(`${name}@localhost/r0`);
    for (const c of [...conns, extra, again]) c.close();
  });

  it("item 13: three simultaneous binds of one resource leave exactly the last bound, and it gets the messages", async () => {
    const [name, sender] = [uniqueName("race-bind"), uniqueName("race-sender")];
    await createUser(`${name}@localhost`);
    await createUser(`${sender}@localhost`);
    const conns = await Promise.all([0, 1, 2].map(() => RawXmpp.login(gatewayUrl(), { username: name, resource: "same" })));
    // Two of them are replaced (stream error conflict); one stays.
    const closed = await Promise.all(conns.map((c) => Promise.race([c.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))])));
    expect(closed.filter((x) => x).length).toBe(2);
    const live = conns[closed.indexOf(false)]!;
    const s = await RawXmpp.login(gatewayUrl(), { username: sender, resource: "s" });
    s.send(`<message xmlns='jabber:client' type='chat' to='${name}@localhost/same' id='to-live'><body>hi</body></message>`);
    expect((await live.next((e) => e.getName() === "message", 5000)).attrs.id).toBe("to-live");
    live.close();
    s.close();
  });
});
