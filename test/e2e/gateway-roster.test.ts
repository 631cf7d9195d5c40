// Roster management and versioning over a real WebSocket.
// References: RFC 6121 §2.1.3-§2.1.6 (get, result, pushes to interested resources),
// §2.3 (set: add/update), §2.3.3 (error cases), §2.5 (remove), §2.6 (versioning: equal ver
// → empty result; pushes carry ver), RFC 6120 §7 (each session a resource).
import { beforeEach, describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { NS_ROSTER, isPush, pushItem, rosterGet, rosterItems, rosterSet } from "./support/im";
import { RawXmpp, stanzaError } from "./support/raw-client";

describe("roster get/set/remove (RFC 6121 §2)", () => {
  let alice: string;
  let bob: string;
  beforeEach(async () => {
    alice = uniqueName("ros-alice");
    bob = uniqueName("ros-bob");
    await createUser(`${alice}@localhost`);
    await createUser(`${bob}@localhost`);
  });

  it("an empty roster is a result with a ver and no items (§2.1.4, §2.6.3)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "r" });
    const r = await rosterGet(c);
    expect(r.attrs.type).toBe("result");
    const q = r.getChild("query", NS_ROSTER)!;
    expect(q.attrs.ver).toMatch(/^\d+$/);
    expect(q.getChildren("item")).toEqual([]);
    c.close();
  });

  it("the bind features advertise roster versioning (§2.6.1)", async () => {
    const c = await RawXmpp.open(gatewayUrl().replace(/^http/, "ws") + "/xmpp-websocket");
    await c.openStream("localhost");
    await c.authenticate("PLAIN", alice, "pw");
    const { features } = await c.openStream("localhost");
    expect(features.getChild("ver", "urn:xmpp:features:rosterver")).toBeDefined();
    c.close();
  });

  it("a set is answered with an empty result and pushed to every interested resource (§2.3.2, §2.1.6)", async () => {
    const a1 = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "a1" });
    const a2 = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "a2" });
    const a3 = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "not-interested" });
    const v0 = (await rosterGet(a1)).getChild("query", NS_ROSTER)!.attrs.ver!;
    await rosterGet(a2);

    const result = await rosterSet(a1, `${bob}@localhost`, { name: "Bob", groups: ["Friends", "Work"] });
    expect(result.attrs.type).toBe("result");
    expect(result.children).toEqual([]);

    for (const c of [a1, a2]) {
      const push = await c.next(isPush(`${bob}@localhost`));
      expect(push.attrs.to).toBe(c === a1 ? `${alice}@localhost/a1` : `${alice}@localhost/a2`);
      // RFC 6121 §2.1.6: a push has no from, or the user's bare JID.
      expect(push.attrs.from === undefined || push.attrs.from === `${alice}@localhost`).toBe(true);
      const q = push.getChild("query", NS_ROSTER)!;
      expect(Number(q.attrs.ver)).toBeGreaterThan(Number(v0));
      expect(pushItem(push)).toEqual({ jid: `${bob}@localhost`, name: "Bob", subscription: "none" });
      expect(q.getChild("item")!.getChildren("group").map((g) => g.getText())).toEqual(["Friends", "Work"]);
      c.send(`<iq xmlns='jabber:client' type='result' id='${push.attrs.id}'/>`);
    }
    // §2.1.6: only resources that requested the roster receive pushes.
    await a3.nothing(isPush(), 500);

    const all = await rosterGet(a3);
    expect(rosterItems(all)).toEqual([{ jid: `${bob}@localhost`, name: "Bob", subscription: "none", groups: "Friends,Work" }]);
    for (const c of [a1, a2, a3]) c.close();
  });

  it("updating an item replaces its name and groups (§2.4)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "u" });
    await rosterGet(c);
    await rosterSet(c, `${bob}@localhost`, { name: "Bob", groups: ["A"] });
    await c.next(isPush(`${bob}@localhost`));
    await rosterSet(c, `${bob}@localhost`, { name: "Robert" });
    const push = await c.next(isPush(`${bob}@localhost`));
    expect(pushItem(push)).toEqual({ jid: `${bob}@localhost`, name: "Robert", subscription: "none" });
    expect(rosterItems(await rosterGet(c))).toEqual([{ jid: `${bob}@localhost`, name: "Robert", subscription: "none" }]);
    c.close();
  });

  it("remove pushes subscription='remove' and the item is gone (§2.5)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "rm" });
    await rosterGet(c);
    await rosterSet(c, `${bob}@localhost`);
    await c.next(isPush(`${bob}@localhost`));
    const r = await rosterSet(c, `${bob}@localhost`, { remove: true });
    expect(r.attrs.type).toBe("result");
    const push = await c.next(isPush(`${bob}@localhost`));
    expect(pushItem(push)).toEqual({ jid: `${bob}@localhost`, subscription: "remove" });
    expect(rosterItems(await rosterGet(c))).toEqual([]);
    c.close();
  });

  it("removing an item that is not there gets item-not-found (§2.5.3)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "rm2" });
    const r = await rosterSet(c, `${uniqueName("nobody")}@localhost`, { remove: true });
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "item-not-found" });
    c.close();
  });

  it("a set with two items gets bad-request; a full JID gets bad-request; an empty or too long group and a too long name not-acceptable (§2.3.3)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "bad" });
    const two = await c.iq(
      `<iq xmlns='jabber:client' type='set' id='two'><query xmlns='${NS_ROSTER}'><item jid='x@localhost'/><item jid='y@localhost'/></query></iq>`,
      "two",
    );
    expect(stanzaError(two)).toEqual({ type: "modify", condition: "bad-request" });
    const full = await rosterSet(c, `${bob}@localhost/res`);
    expect(stanzaError(full)).toEqual({ type: "modify", condition: "bad-request" });
    const emptyGroup = await rosterSet(c, `${bob}@localhost`, { groups: [""] });
    expect(stanzaError(emptyGroup)).toEqual({ type: "modify", condition: "not-acceptable" });
    const dup = await rosterSet(c, `${bob}@localhost`, { groups: ["G", "G"] });
    expect(stanzaError(dup)).toEqual({ type: "modify", condition: "bad-request" });
    const longGroup = await rosterSet(c, `${bob}@localhost`, { groups: ["g".repeat(1025)] });
    expect(stanzaError(longGroup)).toEqual({ type: "modify", condition: "not-acceptable" });
    const longName = await rosterSet(c, `${bob}@localhost`, { name: "n".repeat(1025) });
    expect(stanzaError(longName)).toEqual({ type: "modify", condition: "not-acceptable" });
    // At the limits, both are taken.
    expect((await rosterSet(c, `${bob}@localhost`, { name: "n".repeat(1024), groups: ["g".repeat(1024)] })).attrs.type).toBe("result");
    c.close();
  });

  it("a roster holds at most 420 characters of JIDs, names and groups per item it may hold (2,100,000 at 5,000): a set that would pass it gets policy-violation, one that shrinks an item still goes", async () => {
    const owner = uniqueName("big");
    await createUser(`${owner}@localhost`, "pw");
    const c = await RawXmpp.login(gatewayUrl(), { username: owner, resource: "big" });
    // 64 groups of 1,024 characters: about 65,700 characters an item, each set well under the
    // stanza limit; 31 of them fit under 2,100,000, the 32nd does not.
    const groups = Array.from({ length: 64 }, (_, g) => `${g}`.padEnd(1024, "x"));
    const jid = (i: number) => `contact${i}@example.org`;
    for (let i = 0; i < 31; i++) expect((await rosterSet(c, jid(i), { groups })).attrs.type, `item ${i}`).toBe("result");
    const over = await rosterSet(c, jid(31), { groups });
    expect(stanzaError(over)).toEqual({ type: "modify", condition: "policy-violation" });
    expect(over.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBe("at most 2100000 characters of JIDs, names and groups in a roster");
    // Shrinking an item is always allowed, and makes room.
    expect((await rosterSet(c, jid(0), { groups: ["small"] })).attrs.type).toBe("result");
    expect((await rosterSet(c, jid(31), { groups })).attrs.type).toBe("result");
    expect(rosterItems(await rosterGet(c))).toHaveLength(32);
    c.close();
  });

  it("a client cannot set subscription or ask itself (§2.1.2.5, §2.3.2)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "cheat" });
    await rosterGet(c);
    await c.iq(
      `<iq xmlns='jabber:client' type='set' id='cheat'><query xmlns='${NS_ROSTER}'><item jid='${bob}@localhost' subscription='both' ask='subscribe'/></query></iq>`,
      "cheat",
    );
    const push = await c.next(isPush(`${bob}@localhost`));
    expect(pushItem(push)).toEqual({ jid: `${bob}@localhost`, subscription: "none" });
    c.close();
  });

  it("another user's roster cannot be read (§2.1.5: service-unavailable)", async () => {
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "spy" });
    const r = await c.iq(`<iq xmlns='jabber:client' type='get' id='spy' to='${bob}@localhost'><query xmlns='${NS_ROSTER}'/></iq>`, "spy");
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    c.close();
  });
});

describe("roster versioning (RFC 6121 §2.6)", () => {
  it("an equal ver gets an empty result; an older ver gets the roster; pushes carry increasing vers", async () => {
    const alice = uniqueName("ver-alice");
    await createUser(`${alice}@localhost`);
    const c = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "v" });
    const first = await rosterGet(c, "");
    const v0 = first.getChild("query", NS_ROSTER)!.attrs.ver!;
    // §2.6.3: ver="" asks for the whole roster, with a version.
    expect(v0).toMatch(/^\d+$/);

    await rosterSet(c, "carol@localhost");
    const p1 = await c.next(isPush("carol@localhost"));
    const v1 = p1.getChild("query", NS_ROSTER)!.attrs.ver!;
    await rosterSet(c, "dave@localhost");
    const p2 = await c.next(isPush("dave@localhost"));
    const v2 = p2.getChild("query", NS_ROSTER)!.attrs.ver!;
    expect(Number(v1)).toBeGreaterThan(Number(v0));
    expect(Number(v2)).toBeGreaterThan(Number(v1));

    // Current version: an empty result, no <query/> (§2.6.3).
    const same = await rosterGet(c, v2);
    expect(same.attrs.type).toBe("result");
    expect(same.children).toEqual([]);

    // An older version: the full roster with the current version.
    const older = await rosterGet(c, v0);
    const q = older.getChild("query", NS_ROSTER)!;
    expect(q.attrs.ver).toBe(v2);
    expect(rosterItems(older).map((i) => i.jid)).toEqual(["carol@localhost", "dave@localhost"]);
    c.close();

    // The version is per account and survives a new session.
    const d = await RawXmpp.login(gatewayUrl(), { username: alice, resource: "v2" });
    expect((await rosterGet(d, v2)).children).toEqual([]);
    d.close();
  });
});
