// XEP-0313 Message Archive Management v1.1 (with XEP-0059 paging and XEP-0359 stanza
// ids) over real sockets: two users, and on deleg.localhost the PEP component that
// urn:xmpp:mam:2 is delegated to with filtering ["node"] (test/e2e/support/config.ts).
// References: XEP-0313 §3.5 and §7.1.1 (what is archived, stanza-id), §4.1 (query, form
// fields, ids/before-id/after-id with #extended), §4.2-§4.3 (results, fin, paging),
// §4.1.4 / §6 (item-not-found), XEP-0441 (prefs), XEP-0334 (store hints).
import { describe, expect, it } from "vitest";
import { gatewayUrl } from "./support/gateway";
import { RawXmpp, type Element, stanzaError } from "./support/raw-client";
import {
  NS_DISCO_INFO, NS_MAM, NS_RSM, NS_SID, chat, closeAfterEach, iq, isChat, mamQuery, newUser, on, resultOf, stanzaIdBy, track,
} from "./user-data-support";

closeAfterEach();

const bodies = (results: Element[]) => results.map((r) => resultOf(r).message.getChildText("body"));
const rsm = (fin: Element) => {
  const set = fin.getChild("set", NS_RSM)!;
  return { first: set.getChildText("first"), index: set.getChild("first")?.attrs.index, last: set.getChildText("last"), count: set.getChildText("count") };
};

async function pair() {
  const alice = await newUser("mam-alice");
  const bob = await newUser("mam-bob");
  return { alice, bob, a: await on(alice.name, "a"), b: await on(bob.name, "b") };
}

describe("archiving (XEP-0313 §7.1.1, XEP-0359)", () => {
  it("archives both directions once per owner; the delivered message carries the owner's stanza-id, results come before the IQ", async () => {
    const { alice, bob, a, b } = await pair();
    b.send(chat(a.jid, "bob to alice", `<stanza-id xmlns='${NS_SID}' by='${alice.bare}' id='forged'/>`));
    const inAlice = await a.next(isChat("bob to alice"));
    const sid = stanzaIdBy(inAlice, alice.bare);
    expect(sid).toBeTruthy();
    expect(sid).not.toBe("forged"); // §5: a forged id claiming to be ours is removed
    a.send(chat(b.jid, "alice to bob"));
    const inBob = await b.next(isChat("alice to bob"));
    expect(stanzaIdBy(inBob, alice.bare)).toBeUndefined();
    const bobSid = stanzaIdBy(inBob, bob.bare);

    const q = await mamQuery(a);
    expect(q.iq.attrs.type).toBe("result");
    expect(q.fin.attrs.complete).toBe("true");
    expect(bodies(q.results)).toEqual(["bob to alice", "alice to bob"]);
    const [r1, r2] = q.results.map(resultOf);
    expect(r1!.id).toBe(sid);
    expect(r1!.message.attrs).toMatchObject({ from: b.jid, to: a.jid });
    expect(r2!.message.attrs).toMatchObject({ from: a.jid, to: b.jid });
    expect(r1!.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(q.results[0]!.attrs).toMatchObject({ from: alice.bare, to: a.jid });
    const qb = await mamQuery(b);
    expect(bodies(qb.results)).toEqual(["bob to alice", "alice to bob"]);
    expect(resultOf(qb.results[1]!).id).toBe(bobSid);
  });

  it("keeps out what the hints and types say: no-store, no body, headline; a store hint keeps a body-less message", async () => {
    const { a, b } = await pair();
    b.send(chat(a.jid, "not kept", "<no-store xmlns='urn:xmpp:hints'/>"));
    b.send(`<message xmlns='jabber:client' type='headline' to='${a.jid}'><body>headline</body></message>`);
    b.send(`<message xmlns='jabber:client' type='chat' to='${a.jid}'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
    b.send(`<message xmlns='jabber:client' type='chat' to='${a.jid}' id='kept'><active xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>`);
    await a.next((el) => el.attrs.id === "kept");
    const q = await mamQuery(a);
    expect(q.results.map((r) => resultOf(r).message.attrs.id)).toEqual(["kept"]);
  });
});

describe("queries (XEP-0313 §4, XEP-0059)", () => {
  it("filters by with (bare and full), start and end, ids, before-id and after-id; #extended is advertised", async () => {
    const { alice, a, b } = await pair();
    const carol = await newUser("mam-carol");
    const c = await on(carol.name, "c");
    const t0 = new Date(Date.now() - 1000).toISOString();
    b.send(chat(a.jid, "b1"));
    await a.next(isChat("b1"));
    c.send(chat(a.jid, "c1"));
    await a.next(isChat("c1"));
    b.send(chat(a.jid, "b2"));
    await a.next(isChat("b2"));
    expect(bodies((await mamQuery(a, { with: b.jid.split("/")[0]! })).results)).toEqual(["b1", "b2"]);
    expect(bodies((await mamQuery(a, { with: c.jid })).results)).toEqual(["c1"]);
    expect(bodies((await mamQuery(a, { with: `${carol.bare}/other` })).results)).toEqual([]);
    expect(bodies((await mamQuery(a, { start: t0 })).results)).toEqual(["b1", "c1", "b2"]);
    expect(bodies((await mamQuery(a, { end: t0 })).results)).toEqual([]);
    expect(bodies((await mamQuery(a, { start: new Date(Date.now() + 60_000).toISOString() })).results)).toEqual([]);
    const all = (await mamQuery(a)).results.map(resultOf);
    expect(bodies((await mamQuery(a, { ids: [all[2]!.id, all[0]!.id] })).results)).toEqual(["b1", "b2"]);
    expect(bodies((await mamQuery(a, { "after-id": all[0]!.id })).results)).toEqual(["c1", "b2"]);
    expect(bodies((await mamQuery(a, { "before-id": all[2]!.id })).results)).toEqual(["b1", "c1"]);
    expect(bodies((await mamQuery(a, { "after-id": all[0]!.id, "before-id": all[2]!.id })).results)).toEqual(["c1"]);
    const info = await iq(a, "get", `<query xmlns='${NS_DISCO_INFO}'/>`, alice.bare);
    const vars = info.getChild("query", NS_DISCO_INFO)!.getChildren("feature").map((f) => f.attrs.var);
    expect(vars).toEqual(expect.arrayContaining([NS_MAM, `${NS_MAM}#extended`, NS_SID]));
  });

  it("pages with max, after and before: first (with index), last, count; fin complete only on the last page", async () => {
    const { a, b } = await pair();
    for (let i = 1; i <= 5; i++) {
      b.send(chat(a.jid, `p${i}`));
      await a.next(isChat(`p${i}`));
    }
    const p1 = await mamQuery(a, {}, "<max>2</max>");
    expect(bodies(p1.results)).toEqual(["p1", "p2"]);
    expect(p1.fin.attrs.complete).toBeUndefined();
    expect(rsm(p1.fin)).toEqual({ first: resultOf(p1.results[0]!).id, index: "0", last: resultOf(p1.results[1]!).id, count: "5" });
    const p2 = await mamQuery(a, {}, `<max>2</max><after>${rsm(p1.fin).last}</after>`);
    expect(bodies(p2.results)).toEqual(["p3", "p4"]);
    expect(rsm(p2.fin).index).toBe("2");
    const p3 = await mamQuery(a, {}, `<max>2</max><after>${rsm(p2.fin).last}</after>`);
    expect(bodies(p3.results)).toEqual(["p5"]);
    expect(p3.fin.attrs.complete).toBe("true");
    // Backwards from the end: the newest page first (§4.3, "<before/>").
    const last = await mamQuery(a, {}, "<max>2</max><before/>");
    expect(bodies(last.results)).toEqual(["p4", "p5"]);
    expect(rsm(last.fin).index).toBe("3");
    const prev = await mamQuery(a, {}, `<max>2</max><before>${rsm(last.fin).first}</before>`);
    expect(bodies(prev.results)).toEqual(["p2", "p3"]);
    // max 0: just the count.
    const count = await mamQuery(a, {}, "<max>0</max>");
    expect(count.results).toEqual([]);
    expect(rsm(count.fin).count).toBe("5");
  });

  it("an unknown id is item-not-found (after, before-id, ids); someone else's archive is not answered", async () => {
    const { alice, a, b } = await pair();
    b.send(chat(a.jid, "x"));
    await a.next(isChat("x"));
    for (const [fields, set] of [[{}, "<after>nope</after>"], [{ "before-id": "nope" }, ""], [{ ids: ["nope"] }, ""]] as const) {
      const r = await mamQuery(a, fields as Record<string, string | string[]>, set);
      expect(r.results).toEqual([]);
      expect(stanzaError(r.iq)).toEqual({ type: "cancel", condition: "item-not-found" });
    }
    const other = await mamQuery(b, {}, "", { to: alice.bare });
    expect(other.iq.attrs.type).toBe("error");
    expect(other.results).toEqual([]);
  });

  it("prefs: get the defaults, set never and always, answered with what is in effect (XEP-0441)", async () => {
    const { a, b } = await pair();
    const carol = await newUser("mam-carol");
    const c = await on(carol.name, "c");
    const get = await iq(a, "get", `<prefs xmlns='${NS_MAM}'/>`);
    expect(get.getChild("prefs", NS_MAM)!.attrs.default).toBe("always");
    const set = await iq(a, "set", `<prefs xmlns='${NS_MAM}' default='never'><always><jid>${carol.bare}</jid></always><never/></prefs>`);
    const prefs = set.getChild("prefs", NS_MAM)!;
    expect(prefs.attrs.default).toBe("never");
    expect(prefs.getChild("always")!.getChildren("jid").map((j) => j.getText())).toEqual([carol.bare]);
    b.send(chat(a.jid, "from bob, never"));
    await a.next(isChat("from bob, never"));
    c.send(chat(a.jid, "from carol, always"));
    await a.next(isChat("from carol, always"));
    expect(bodies((await mamQuery(a)).results)).toEqual(["from carol, always"]);
  });
});

describe("with urn:xmpp:mam:2 delegated on `node` (XEP-0355 filtering)", () => {
  const HOST = "deleg.localhost";
  const COMP = "deleg.comp.localhost";
  const DNS = "urn:xmpp:delegation:2";

  it("a query with node goes to the component, the others are answered from the archive; the bare JID's disco#info shows both", async () => {
    const comp = track(await RawXmpp.component(gatewayUrl(), COMP, "deleg-secret"));
    // The admin-mode advertisement (client-mode grants left by other test files, advertised
    // with a `to`, may come first).
    await comp.next((el) => el.getName() === "message" && el.getChild("delegation", DNS) !== undefined && el.getChild("delegation", DNS)!.attrs.to === undefined);
    // Disco nesting on connect: the component's MAM feature for bare JIDs is distinctive.
    for (let i = 0; i < 6; i++) {
      const q = await comp.next((el) => el.getName() === "iq" && el.attrs.type === "get" && el.getChild("query", NS_DISCO_INFO) !== undefined);
      const node = q.getChild("query", NS_DISCO_INFO)!.attrs.node as string;
      const extra = node === `${DNS}:bare:${NS_MAM}` ? `<feature var='urn:example:node-archive'/>` : "";
      comp.send(`<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='result' id='${q.attrs.id}'><query xmlns='${NS_DISCO_INFO}' node='${node}'>${extra}</query></iq>`);
    }
    const alice = await newUser("mam-alice", HOST);
    const bob = await newUser("mam-bob", HOST);
    const a = await on(alice.name, "a", { domain: HOST });
    const b = await on(bob.name, "b", { domain: HOST });
    b.send(chat(a.jid, "kept locally"));
    await a.next(isChat("kept locally"));

    const id = "node-q";
    a.send(`<iq xmlns='jabber:client' type='set' id='${id}'><query xmlns='${NS_MAM}' node='urn:xmpp:microblog:0'/></iq>`);
    const outer = await comp.next((el) => el.getName() === "iq" && el.getChild("delegation", DNS) !== undefined);
    const inner = outer.getChild("delegation", DNS)!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("iq")!;
    expect(inner.getChild("query", NS_MAM)!.attrs.node).toBe("urn:xmpp:microblog:0");
    comp.send(`<iq xmlns='jabber:component:accept' from='${COMP}' to='${outer.attrs.from}' type='result' id='${outer.attrs.id}'><delegation xmlns='${DNS}'><forwarded xmlns='urn:xmpp:forward:0'>` +
      `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='${id}'><fin xmlns='${NS_MAM}' complete='true'/></iq></forwarded></delegation></iq>`);
    expect((await a.next((el) => el.attrs.id === id)).attrs.type).toBe("result");

    const local = await mamQuery(a);
    expect(bodies(local.results)).toEqual(["kept locally"]);
    // The query without node was answered locally: nothing forwarded to the component.
    await comp.nothing((el) => el.getName() === "iq" && el.getChild("delegation", DNS) !== undefined, 300);

    const info = await iq(a, "get", `<query xmlns='${NS_DISCO_INFO}'/>`, alice.bare);
    const vars = info.getChild("query", NS_DISCO_INFO)!.getChildren("feature").map((f) => f.attrs.var);
    expect(vars).toEqual(expect.arrayContaining([NS_MAM, `${NS_MAM}#extended`, NS_SID, "urn:example:node-archive"]));
    expect(vars.filter((v) => v === NS_MAM)).toHaveLength(1);
  });
});
