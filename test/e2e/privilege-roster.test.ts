// XEP-0356 §4.2 roster access over real sockets: get/set of a user's roster by a component
// and by a privileged user account, refusals, and roster pushes to the entity.
// Checklist items (shared/xep0356.md): #3, #10–#17.
import { describe, expect, it } from "vitest";
import { NS_ROSTER, isPush, pushItem, rosterGet, rosterItems, rosterSet } from "./support/im";
import { stanzaError, type Element } from "./support/raw-client";
import { COMP, HOST, NONE, RO, closeAfterEach, component, entityUser, newUser, onlineUser } from "./privilege-support";

closeAfterEach();

const get = (to: string, id: string) => `<iq type='get' id='${id}' to='${to}'><query xmlns='${NS_ROSTER}'/></iq>`;
const set = (to: string, id: string, item: string) => `<iq type='set' id='${id}' to='${to}'><query xmlns='${NS_ROSTER}'>${item}</query></iq>`;
const ver = (el: Element) => el.getChild("query", NS_ROSTER)?.attrs.ver;
const pushFrom = (from: string, jid?: string) => (el: Element) => isPush(jid)(el) && el.attrs.from === from;

describe("roster get and set by a component (#10, #13, #15)", () => {
  it("#13 #15: get is answered from the user's bare JID, with the roster and its ver", async () => {
    const alice = await newUser("ros-alice");
    const client = await onlineUser(alice.name);
    expect((await rosterSet(client, `friend@${HOST}`, { name: "Friend", groups: ["G"] })).attrs.type).toBe("result");
    const own = await rosterGet(client);
    const c = await component(COMP);
    const res = await c.iq(get(alice.bare, "rg1"), "rg1");
    expect(res.attrs).toMatchObject({ type: "result", from: alice.bare, to: COMP.jid, id: "rg1" });
    expect(ver(res)).toBe(ver(own));
    expect(rosterItems(res)).toEqual([{ jid: `friend@${HOST}`, subscription: "none", name: "Friend", groups: "G" }]);
    // Versioning works as for the user (RFC 6121 §2.6): an equal ver gets an empty result.
    const same = await c.iq(`<iq type='get' id='rg2' to='${alice.bare}'><query xmlns='${NS_ROSTER}' ver='${ver(own)}'/></iq>`, "rg2");
    expect(same.attrs.type).toBe("result");
    expect(same.children.length).toBe(0);
  });

  it("#13 #15 #16 #17: set changes the roster; the user's resources and the entity get pushes from the user's bare JID", async () => {
    const alice = await newUser("ros-alice");
    const client = await onlineUser(alice.name);
    const c = await component(COMP);
    const res = await c.iq(set(alice.bare, "rs1", `<item jid='carol@remote.example' name='Carol'><group>Work</group></item>`), "rs1");
    expect(res.attrs).toMatchObject({ type: "result", from: alice.bare, to: COMP.jid, id: "rs1" });
    const userPush = await client.next(isPush("carol@remote.example"));
    expect(pushItem(userPush)).toEqual({ jid: "carol@remote.example", subscription: "none", name: "Carol" });
    const entityPush = await c.next(pushFrom(alice.bare, "carol@remote.example"));
    expect(entityPush.attrs.to).toBe(COMP.jid);
    expect(pushItem(entityPush)).toEqual({ jid: "carol@remote.example", subscription: "none", name: "Carol" });
    expect(ver(entityPush)).toBe(ver(userPush));
    expect(rosterItems(await rosterGet(client))).toEqual([{ jid: "carol@remote.example", subscription: "none", name: "Carol", groups: "Work" }]);

    // Removal: pushed to both as subscription='remove' (#16: "created, updated or deleted").
    const rm = await c.iq(set(alice.bare, "rs2", `<item jid='carol@remote.example' subscription='remove'/>`), "rs2");
    expect(rm.attrs.type).toBe("result");
    expect(pushItem(await client.next(isPush("carol@remote.example")))).toEqual({ jid: "carol@remote.example", subscription: "remove" });
    const removed = await c.next(pushFrom(alice.bare, "carol@remote.example"));
    expect(pushItem(removed)).toEqual({ jid: "carol@remote.example", subscription: "remove" });
    expect(Number(ver(removed))).toBeGreaterThan(Number(ver(entityPush)));
  });

  it("#3: the entity cannot set what the user's client cannot (subscription states are ignored, bad items refused)", async () => {
    const alice = await newUser("ros-alice");
    const c = await component(COMP);
    await c.iq(set(alice.bare, "rs3", `<item jid='dave@remote.example' subscription='both'/>`), "rs3");
    const res = await c.iq(get(alice.bare, "rg3"), "rg3");
    expect(rosterItems(res)).toEqual([{ jid: "dave@remote.example", subscription: "none" }]);
    const bad = await c.iq(set(alice.bare, "rs4", `<item jid='dave@remote.example/res'/>`), "rs4");
    expect(stanzaError(bad)).toEqual({ type: "modify", condition: "bad-request" });
  });
});

describe("pushes for changes the user makes (#16, #17)", () => {
  it("a change by the user's own client, and a subscription request, are pushed to the entity", async () => {
    const alice = await newUser("ros-alice");
    const bob = await newUser("ros-bob");
    const client = await onlineUser(alice.name);
    const c = await component(COMP);
    await rosterSet(client, `erin@${HOST}`, { name: "Erin" });
    const push = await c.next(pushFrom(alice.bare, `erin@${HOST}`));
    expect(push.attrs.type).toBe("set");
    expect(push.attrs.id).toBeTruthy();
    expect(pushItem(push)).toEqual({ jid: `erin@${HOST}`, subscription: "none", name: "Erin" });
    // Subscribing to bob changes alice's item for bob (ask='subscribe').
    client.send(`<presence xmlns='jabber:client' to='${bob.bare}' type='subscribe'/>`);
    const ask = await c.next(pushFrom(alice.bare, bob.bare));
    expect(pushItem(ask)).toEqual({ jid: bob.bare, subscription: "none", ask: "subscribe" });
    // The entity may acknowledge pushes; nothing comes back for that.
    c.send(`<iq type='result' id='${ask.attrs.id}' to='${alice.bare}'/>`);
    await c.nothing((el) => el.attrs.id === ask.attrs.id, 400);
  });
});

describe("refusals (#12, #14)", () => {
  it("#14: roster none → forbidden (auth) for get and set; get-only → forbidden for set", async () => {
    const alice = await newUser("ros-alice");
    const none = await component(NONE);
    for (const [id, xml] of [["n1", get(alice.bare, "n1")], ["n2", set(alice.bare, "n2", `<item jid='x@${HOST}'/>`)]] as const) {
      const r = await none.iq(xml, id);
      expect(r.attrs).toMatchObject({ type: "error", from: alice.bare, to: NONE.jid });
      expect(stanzaError(r)).toEqual({ type: "auth", condition: "forbidden" });
    }
    none.close();
    const ro = await component(RO);
    expect((await ro.iq(get(alice.bare, "r1"), "r1")).attrs.type).toBe("result");
    const r = await ro.iq(set(alice.bare, "r2", `<item jid='x@${HOST}'/>`), "r2");
    expect(stanzaError(r)).toEqual({ type: "auth", condition: "forbidden" });
  });

  it("#14: privileges are scoped to the granting host: a user of another host is forbidden", async () => {
    const other = await newUser("ros-other", "localhost");
    const c = await component(COMP);
    const r = await c.iq(get(other.bare, "x1"), "x1");
    expect(stanzaError(r)).toEqual({ type: "auth", condition: "forbidden" });
  });

  it("#12: push=false and type none get no pushes", async () => {
    const alice = await newUser("ros-alice");
    const client = await onlineUser(alice.name);
    const ro = await component(RO);
    await rosterSet(client, `fred@${HOST}`);
    await client.next(isPush(`fred@${HOST}`));
    await ro.nothing(isPush(), 800);
    ro.close();
    const none = await component(NONE);
    await rosterSet(client, `gina@${HOST}`);
    await client.next(isPush(`gina@${HOST}`));
    await none.nothing(isPush(), 800);
  });
});

describe("a privileged user account (#13–#17)", () => {
  it("gets and sets a user's roster and receives pushes at its resources; roster none is forbidden", async () => {
    const entity = await entityUser("ent-roster");
    const e = await onlineUser("ent-roster", "ros");
    const alice = await newUser("ros-alice");
    const res = await e.iq(set(alice.bare, "u1", `<item jid='hank@${HOST}'/>`), "u1");
    expect(res.attrs).toMatchObject({ type: "result", from: alice.bare, to: `${entity}/ros` });
    const push = await e.next(pushFrom(alice.bare, `hank@${HOST}`));
    expect(push.attrs.to).toBe(`${entity}/ros`);
    const got = await e.iq(get(alice.bare, "u2"), "u2");
    expect(rosterItems(got)).toEqual([{ jid: `hank@${HOST}`, subscription: "none" }]);

    await entityUser("ent-none");
    const n = await onlineUser("ent-none", "ros");
    const refused = await n.iq(get(alice.bare, "u3"), "u3");
    expect(stanzaError(refused)).toEqual({ type: "auth", condition: "forbidden" });
  });
});
