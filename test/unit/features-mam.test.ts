// XEP-0313 Message Archive Management with XEP-0059 paging, XEP-0359 stanza ids and the
// XEP-0334 storage hints: eligibility, archiving, preferences, queries, bounds.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { type Element, parse } from "ltx";
import { same } from "./support/xml-compare";
import {
  ArchiveStore, DEFAULT_ARCHIVE_LIMITS, MAM_FEATURES, MAX_PAGE, archiveInbound, archiveMessage, archiveOutbound, handleMamIq,
  isArchivable, isNodeQuery, stampStanzaId, type ArchiveLimits,
} from "../../src/mam";
import { parseDateTime } from "../../src/mam/datetime";
import { sentCarbon } from "../../src/carbons";


let n = 0;
const OWNER = () => `mam${Date.now().toString(36)}${n++}@localhost`;
const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const T0 = Date.parse("2010-07-10T23:00:00Z");

async function withArchive<T>(f: (store: ArchiveStore, owner: string, sql: SqlStorage) => T, limits?: ArchiveLimits): Promise<T> {
  const owner = OWNER();
  return runInDurableObject(env.ACCOUNT.getByName(owner), async (_obj, state) =>
    f(new ArchiveStore(state.storage.sql, limits), owner, state.storage.sql));
}

/** A SqlStorage that adds up the rows every statement read and wrote. */
function metered(sql: SqlStorage): { sql: SqlStorage; rows: { read: number; written: number } } {
  const rows = { read: 0, written: 0 };
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const proxy = new Proxy(sql, {
    get(target, prop) {
      if (prop !== "exec") return Reflect.get(target, prop);
      return (query: string, ...params: SqlStorageValue[]) => {
        const cursor = target.exec(query, ...params);
        cursors.push(cursor);
        return cursor;
      };
    },
  });
  return {
    sql: proxy,
    get rows() {
      rows.read = cursors.reduce((s, c) => s + c.rowsRead, 0);
      rows.written = cursors.reduce((s, c) => s + c.rowsWritten, 0);
      return rows;
    },
  };
}

const msg = (from: string, to: string, body: string, id = "m") =>
  parse(`<message xmlns='jabber:client' from='${from}' to='${to}' type='chat' id='${id}'><body>${body}</body></message>`);

/** Archives `count` messages alternating in/out with three contacts, one second apart. */
function fill(store: ArchiveStore, owner: string, count: number): string[] {
  const peers = ["juliet@capulet.lit/balcony", "nurse@capulet.lit/kitchen", "juliet@capulet.lit/chamber"];
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const peer = peers[i % 3]!;
    const out = i % 2 === 0;
    const m = out ? msg(`${owner}/phone`, peer, `b${i}`, `m${i}`) : msg(peer, owner, `b${i}`, `m${i}`);
    const id = archiveMessage(store, m, { ownerBare: owner, direction: out ? "out" : "in", now: T0 + i * 1000, inRoster: () => true });
    ids.push(id!);
  }
  return ids;
}

function query(owner: string, inner: string, id = "q1", queryid?: string): Element {
  return parse(`<iq xmlns='jabber:client' type='set' id='${id}' from='${owner}/chamber'><query xmlns='urn:xmpp:mam:2'${queryid ? ` queryid='${queryid}'` : ""}>${inner}</query></iq>`);
}
const form = (fields: Record<string, string | string[]>) => `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>${
  Object.entries(fields).map(([k, v]) => `<field var='${k}'>${(Array.isArray(v) ? v : [v]).map((x) => `<value>${x}</value>`).join("")}</field>`).join("")}</x>`;
const rsm = (inner: string) => `<set xmlns='http://jabber.org/protocol/rsm'>${inner}</set>`;

/** The bodies of the result messages, the fin element and the final IQ. */
function outcome(out: Element[]) {
  const iq = out[out.length - 1]!;
  const results = out.slice(0, -1);
  const bodies = results.map((m) => m.getChild("result", MAM)!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("message", "jabber:client")!.getChildText("body", "jabber:client"));
  const fin = iq.getChild("fin", MAM);
  const set = fin?.getChild("set", RSM);
  return {
    iq, results, bodies, fin,
    complete: fin?.attrs.complete === "true",
    first: set?.getChildText("first", RSM), index: set?.getChild("first", RSM)?.attrs.index,
    last: set?.getChildText("last", RSM), count: set?.getChildText("count", RSM),
  };
}
const errorOf = (el: Element) => el.attrs.type === "error" ? el.getChild("error")!.getChildElements().find((c) => c.getNS() === STANZAS)!.getName() : null;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => `b${a + i}`);

describe("what is archived (XEP-0313 §7.1.1, XEP-0334)", () => {
  const m = (attrs: string, inner: string) => parse(`<message xmlns='jabber:client' from='a@x/r' to='b@y' ${attrs}>${inner}</message>`);
  const cases: [string, Element, boolean][] = [
    ["chat with body", m("type='chat'", "<body>x</body>"), true],
    ["normal with body", m("type='normal'", "<body>x</body>"), true],
    ["no type with body", m("", "<body>x</body>"), true],
    ["chat without body (a chat state)", m("type='chat'", "<active xmlns='http://jabber.org/protocol/chatstates'/>"), false],
    ["<store/> hint without body", m("type='chat'", "<received xmlns='urn:xmpp:receipts' id='1'/><store xmlns='urn:xmpp:hints'/>"), true],
    ["<no-store/> with body", m("type='chat'", "<body>x</body><no-store xmlns='urn:xmpp:hints'/>"), false],
    ["<no-permanent-store/> with body", m("type='chat'", "<body>x</body><no-permanent-store xmlns='urn:xmpp:hints'/>"), false],
    ["<no-store/> beats <store/>", m("type='chat'", "<store xmlns='urn:xmpp:hints'/><no-store xmlns='urn:xmpp:hints'/><body>x</body>"), false],
    ["error with body", m("type='error'", "<body>x</body><error type='cancel'/>"), false],
    ["groupchat with body", m("type='groupchat'", "<body>x</body>"), false],
    ["headline with body", m("type='headline'", "<body>x</body>"), false],
    ["a carbon copy", m("type='chat'", "<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></sent><store xmlns='urn:xmpp:hints'/>"), false],
    ["an archive result", m("", "<result xmlns='urn:xmpp:mam:2' id='1'/><store xmlns='urn:xmpp:hints'/>"), false],
    ["a <store/> in another namespace", m("type='chat'", "<store xmlns='urn:example'/>"), false],
  ];
  for (const [name, el, want] of cases) it(`${name}: ${want ? "archived" : "not archived"}`, () => expect(isArchivable(el)).toBe(want));
});

describe("XEP-0359 stanza ids", () => {
  it("stamps <stanza-id by id/> and removes one forged with our 'by', keeping others'", () => {
    const m = parse(`<message xmlns='jabber:client' from='juliet@capulet.lit/b' to='romeo@montague.lit' type='chat'><body>x</body>
      <stanza-id xmlns='urn:xmpp:sid:0' by='romeo@montague.lit' id='forged'/><stanza-id xmlns='urn:xmpp:sid:0' by='capulet.lit' id='theirs'/></message>`);
    same(stampStanzaId(m, "romeo@montague.lit", "abc"), `<message xmlns='jabber:client' from='juliet@capulet.lit/b' to='romeo@montague.lit' type='chat'><body>x</body>
      <stanza-id xmlns='urn:xmpp:sid:0' by='capulet.lit' id='theirs'/><stanza-id xmlns='urn:xmpp:sid:0' by='romeo@montague.lit' id='abc'/></message>`);
  });

  it("inbound: archived, delivered with our stanza-id; the archived copy holds no forged id", async () => {
    await withArchive((store, owner) => {
      const m = parse(`<message xmlns='jabber:client' from='juliet@capulet.lit/b' to='${owner}' type='chat'><body>hi</body><stanza-id xmlns='urn:xmpp:sid:0' by='${owner}' id='forged'/></message>`);
      const id = archiveInbound(store, m, { ownerBare: owner, now: T0, inRoster: () => false });
      expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
      const sids = m.getChildren("stanza-id", "urn:xmpp:sid:0");
      expect(sids.map((s) => [s.attrs.by, s.attrs.id])).toEqual([[owner, id]]);
      const stored = store.page({}, 10, false)[0]!;
      expect(stored.stanza).not.toContain("forged");
      expect(stored).toMatchObject({ id, withBare: "juliet@capulet.lit", withFull: "juliet@capulet.lit/b", direction: "in", at: T0 });
    });
  });

  it("inbound, not archivable: the forged id is still removed and none is added", async () => {
    await withArchive((store, owner) => {
      const m = parse(`<message xmlns='jabber:client' from='juliet@capulet.lit/b' to='${owner}' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/><stanza-id xmlns='urn:xmpp:sid:0' by='${owner}' id='forged'/></message>`);
      expect(archiveInbound(store, m, { ownerBare: owner, now: T0, inRoster: () => false })).toBeNull();
      expect(m.getChildren("stanza-id", "urn:xmpp:sid:0")).toHaveLength(0);
      expect(store.count()).toBe(0);
    });
  });

  it("outbound: archived as 'out' with the recipient; the routed message gets no stanza-id, the copy for sent carbons does", async () => {
    await withArchive((store, owner) => {
      const m = parse(`<message xmlns='jabber:client' from='${owner}/phone' to='juliet@capulet.lit/balcony' type='chat' id='o1'><body>hi</body></message>`);
      const before = m.toString();
      const out = archiveOutbound(store, m, { ownerBare: owner, now: T0, inRoster: () => false })!;
      expect(m.toString()).toBe(before);
      expect(store.page({}, 1, false)[0]).toMatchObject({ id: out.id, direction: "out", withBare: "juliet@capulet.lit", withFull: "juliet@capulet.lit/balcony" });
      const carbon = sentCarbon(out.forOwnResources, owner, `${owner}/laptop`);
      same(carbon, `<message xmlns='jabber:client' from='${owner}' to='${owner}/laptop' type='chat'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
        <message xmlns='jabber:client' from='${owner}/phone' to='juliet@capulet.lit/balcony' type='chat' id='o1'><body>hi</body>
        <stanza-id xmlns='urn:xmpp:sid:0' by='${owner}' id='${out.id}'/></message></forwarded></sent></message>`);
      const chatState = parse(`<message xmlns='jabber:client' from='${owner}/phone' to='juliet@capulet.lit' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`);
      expect(archiveOutbound(store, chatState, { ownerBare: owner, now: T0, inRoster: () => false })).toBeNull();
    });
  });

  it("ids are unique and never reused after deletion", async () => {
    await withArchive((store, owner) => {
      const ids = new Set(fill(store, owner, 3));
      store.deleteAll();
      for (const id of fill(store, owner, 3)) ids.add(id);
      expect(ids.size).toBe(6);
    }, { ...DEFAULT_ARCHIVE_LIMITS, maxMessages: 3 });
  });
});

describe("XEP-0082 dates", () => {
  it("accepts the DateTime profile with Z, offsets and fractions", () => {
    expect(parseDateTime("2010-06-07T00:00:00Z")).toBe(Date.UTC(2010, 5, 7));
    expect(parseDateTime("2010-06-07T02:00:00.500+02:00")).toBe(Date.UTC(2010, 5, 7) + 500);
  });
  for (const bad of ["2010-06-07", "2010-06-07T00:00:00", "2010-02-30T00:00:00Z", "2010-13-01T00:00:00Z", "2010-06-07T24:00:00Z", "yesterday", "1275868800"]) {
    it(`refuses ${bad}`, () => expect(parseDateTime(bad)).toBeNull());
  }
});

describe("preferences (XEP-0441, the <prefs/> of urn:xmpp:mam:2)", () => {
  it("get: the defaults, always archive, empty lists", async () => {
    await withArchive((store, owner) => {
      const out = handleMamIq(parse(`<iq xmlns='jabber:client' type='get' id='p1' from='${owner}/c'><prefs xmlns='urn:xmpp:mam:2'/></iq>`), owner, store);
      expect(out).toHaveLength(1);
      same(out[0]!, `<iq xmlns='jabber:client' type='result' id='p1' to='${owner}/c'><prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never/></prefs></iq>`);
    });
  });

  it("set: answered with the preferences in effect, then applied when archiving", async () => {
    await withArchive((store, owner) => {
      const set = parse(`<iq xmlns='jabber:client' type='set' id='p2' from='${owner}/c'><prefs xmlns='urn:xmpp:mam:2' default='roster'>
        <always><jid>romeo@montague.lit</jid></always><never><jid>montague@montague.lit</jid><jid>Nurse@Capulet.lit/kitchen</jid></never></prefs></iq>`);
      same(handleMamIq(set, owner, store)[0]!, `<iq xmlns='jabber:client' type='result' id='p2' to='${owner}/c'><prefs xmlns='urn:xmpp:mam:2' default='roster'>
        <always><jid>romeo@montague.lit</jid></always><never><jid>montague@montague.lit</jid><jid>nurse@capulet.lit/kitchen</jid></never></prefs></iq>`);
      const roster = new Set(["juliet@capulet.lit", "montague@montague.lit"]);
      const ctx = { ownerBare: owner, now: T0, inRoster: (b: string) => roster.has(b) };
      const take = (peer: string) => archiveMessage(store, msg(peer, owner, "x"), { ...ctx, direction: "in" }) !== null;
      expect(take("juliet@capulet.lit/b")).toBe(true); // roster default, in roster
      expect(take("tybalt@capulet.lit/b")).toBe(false); // roster default, not in roster
      expect(take("romeo@montague.lit/x")).toBe(true); // always list (bare entry), not in roster
      expect(take("montague@montague.lit/y")).toBe(false); // never list wins over roster
      expect(take("nurse@capulet.lit/kitchen")).toBe(false); // full-JID entry
      expect(take("nurse@capulet.lit/garden")).toBe(false); // not in roster, other resource
      expect(take("Romeo@Montague.lit/y")).toBe(true); // compared normalised
      expect(store.count()).toBe(3);
      // Outgoing messages are judged by their 'to'.
      expect(archiveMessage(store, msg(`${owner}/c`, "montague@montague.lit", "x"), { ...ctx, direction: "out" })).toBeNull();
    });
  });

  it("default never: nothing but the always list", async () => {
    await withArchive((store, owner) => {
      handleMamIq(parse(`<iq xmlns='jabber:client' type='set' id='p3' from='${owner}/c'><prefs xmlns='urn:xmpp:mam:2' default='never'><always><jid>juliet@capulet.lit</jid></always><never/></prefs></iq>`), owner, store);
      const ctx = { ownerBare: owner, now: T0, inRoster: () => true, direction: "in" as const };
      expect(archiveMessage(store, msg("juliet@capulet.lit/b", owner, "x"), ctx)).not.toBeNull();
      expect(archiveMessage(store, msg("nurse@capulet.lit/b", owner, "x"), ctx)).toBeNull();
    });
  });

  it("refuses a missing or unknown default (bad-request) and a bad JID (jid-malformed), keeping the old prefs", async () => {
    await withArchive((store, owner) => {
      const bad = (inner: string) => handleMamIq(parse(`<iq xmlns='jabber:client' type='set' id='p4' from='${owner}/c'>${inner}</iq>`), owner, store)[0]!;
      expect(errorOf(bad(`<prefs xmlns='urn:xmpp:mam:2'/>`))).toBe("bad-request");
      expect(errorOf(bad(`<prefs xmlns='urn:xmpp:mam:2' default='sometimes'/>`))).toBe("bad-request");
      expect(errorOf(bad(`<prefs xmlns='urn:xmpp:mam:2' default='never'><never><jid>a@@b</jid></never></prefs>`))).toBe("jid-malformed");
      expect(store.prefs().default).toBe("always");
    });
  });
});

describe("queries (XEP-0313 §4, XEP-0059)", () => {
  it("no form, no <set/>: the first 20 in order, results to the querier, then <fin/> without complete", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 30);
      const out = outcome(handleMamIq(query(owner, "", "juliet1", "f27"), owner, store));
      expect(out.bodies).toEqual(range(0, 20));
      expect(out.complete).toBe(false);
      expect([out.first, out.index, out.last, out.count]).toEqual([ids[0], "0", ids[19], "30"]);
      same(out.iq, `<iq xmlns='jabber:client' type='result' id='juliet1' to='${owner}/chamber'><fin xmlns='urn:xmpp:mam:2'>
        <set xmlns='http://jabber.org/protocol/rsm'><first index='0'>${ids[0]}</first><last>${ids[19]}</last><count>30</count></set></fin></iq>`);
      // The first result, exactly (§4.2, Example: the message as received, with its delay stamp).
      const r = out.results[1]!;
      expect(r.attrs.id).toBeTruthy();
      delete r.attrs.id;
      same(r, `<message xmlns='jabber:client' from='${owner}' to='${owner}/chamber'><result xmlns='urn:xmpp:mam:2' queryid='f27' id='${ids[1]}'>
        <forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:00:01.000Z'/>
        <message xmlns='jabber:client' from='nurse@capulet.lit/kitchen' to='${owner}' type='chat' id='m1'><body>b1</body></message>
        </forwarded></result></message>`);
    });
  });

  it("after the last id: the next page, complete, index 20", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 30);
      const out = outcome(handleMamIq(query(owner, rsm(`<max>20</max><after>${ids[19]}</after>`)), owner, store));
      expect(out.bodies).toEqual(range(20, 30));
      expect([out.complete, out.index, out.first, out.last, out.count]).toEqual([true, "20", ids[20], ids[29], "30"]);
    });
  });

  it("empty <before/>: the last page, still oldest first; paging back to the start completes", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 12);
      const last = outcome(handleMamIq(query(owner, rsm("<max>5</max><before/>")), owner, store));
      expect(last.bodies).toEqual(range(7, 12));
      expect([last.complete, last.index, last.first, last.last]).toEqual([false, "7", ids[7], ids[11]]);
      const middle = outcome(handleMamIq(query(owner, rsm(`<max>5</max><before>${ids[7]}</before>`)), owner, store));
      expect(middle.bodies).toEqual(range(2, 7));
      expect(middle.complete).toBe(false);
      const first = outcome(handleMamIq(query(owner, rsm(`<max>5</max><before>${ids[2]}</before>`)), owner, store));
      expect(first.bodies).toEqual(range(0, 2));
      expect([first.complete, first.index]).toEqual([true, "0"]);
    });
  });

  it("a page that ends exactly at the last item is complete", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 10);
      const out = outcome(handleMamIq(query(owner, rsm("<max>10</max>")), owner, store));
      expect(out.bodies).toHaveLength(10);
      expect(out.complete).toBe(true);
    });
  });

  it("'with' a bare JID matches every resource, a full JID only that one, in both directions", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 12);
      const bare = outcome(handleMamIq(query(owner, form({ with: "juliet@capulet.lit" })), owner, store));
      expect(bare.bodies).toEqual(["b0", "b2", "b3", "b5", "b6", "b8", "b9", "b11"]);
      expect([bare.complete, bare.count]).toEqual([true, "8"]);
      const full = outcome(handleMamIq(query(owner, form({ with: "juliet@capulet.lit/balcony" })), owner, store));
      expect(full.bodies).toEqual(["b0", "b3", "b6", "b9"]);
    });
  });

  it("'with' the account itself: only messages to oneself", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 3);
      archiveMessage(store, msg(`${owner}/phone`, `${owner}/laptop`, "note to self"), { ownerBare: owner, direction: "out", now: T0 + 5000, inRoster: () => false });
      const out = outcome(handleMamIq(query(owner, form({ with: owner })), owner, store));
      expect(out.bodies).toEqual(["note to self"]);
    });
  });

  it("start and end are inclusive", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 10);
      const out = outcome(handleMamIq(query(owner, form({ start: "2010-07-10T23:00:03Z", end: "2010-07-11T01:00:06+02:00" })), owner, store));
      expect(out.bodies).toEqual(range(3, 7));
      expect([out.count, out.index]).toEqual(["4", "0"]);
    });
  });

  it("after-id and before-id bound the range exclusively; with RSM paging inside it", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 20);
      const out = outcome(handleMamIq(query(owner, form({ "after-id": ids[3]!, "before-id": ids[15]! }) + rsm("<max>5</max>")), owner, store));
      expect(out.bodies).toEqual(range(4, 9));
      expect([out.count, out.index, out.complete]).toEqual(["11", "0", false]);
      const back = outcome(handleMamIq(query(owner, form({ "after-id": ids[3]!, "before-id": ids[15]! }) + rsm("<max>5</max><before/>")), owner, store));
      expect(back.bodies).toEqual(range(10, 15));
      expect(back.index).toBe("6");
    });
  });

  it("ids: exactly those messages, in archive order", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 10);
      const out = outcome(handleMamIq(query(owner, form({ ids: [ids[7]!, ids[2]!] })), owner, store));
      expect(out.bodies).toEqual(["b2", "b7"]);
      expect([out.complete, out.count]).toEqual([true, "2"]);
    });
  });

  it("item-not-found for an unknown id in after, before, after-id, before-id or ids", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 3);
      for (const inner of [rsm("<after>nope</after>"), rsm("<before>nope</before>"), form({ "after-id": "nope" }),
        form({ "before-id": "nope" }), form({ ids: [ids[0]!, "nope"] })]) {
        const out = handleMamIq(query(owner, inner, "q29303"), owner, store);
        expect(out).toHaveLength(1);
        same(out[0]!, `<iq xmlns='jabber:client' type='error' id='q29303' to='${owner}/chamber'><error type='cancel'>
          <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>no such id in the archive</text></error></iq>`);
      }
    });
  });

  it("an id pushed out of the archive by the bound is item-not-found afterwards", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 6);
      expect(errorOf(handleMamIq(query(owner, rsm(`<after>${ids[0]}</after>`)), owner, store)[0]!)).toBe("item-not-found");
      expect(outcome(handleMamIq(query(owner, rsm(`<after>${ids[1]}</after>`)), owner, store)).bodies).toEqual(range(2, 6));
    }, { ...DEFAULT_ARCHIVE_LIMITS, maxMessages: 5 });
  });

  it("malformed queries: bad-request, feature-not-implemented for an unknown field", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 2);
      const err = (inner: string) => errorOf(handleMamIq(query(owner, inner), owner, store)[0]!);
      expect(err(form({ start: "last tuesday" }))).toBe("bad-request");
      expect(err(form({ end: "2010-02-30T00:00:00Z" }))).toBe("bad-request");
      expect(err(form({ start: ["2010-07-10T23:00:00Z", "2010-07-10T23:00:01Z"] }))).toBe("bad-request");
      expect(err(form({ with: "a@b@c" }))).toBe("jid-malformed");
      expect(err(form({ "{urn:example}full-text": "x" }))).toBe("feature-not-implemented");
      expect(err(`<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x>`)).toBe("bad-request");
      expect(err(`<x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field></x>`)).toBe("bad-request");
      expect(err(rsm("<max>ten</max>"))).toBe("bad-request");
      expect(err(rsm("<max>-1</max>"))).toBe("bad-request");
      expect(err(rsm("<after/>"))).toBe("bad-request");
      expect(err(rsm("<after>x</after><before>y</before>"))).toBe("bad-request");
    });
  });

  it(`max is capped at ${MAX_PAGE}; max 0 returns only the count`, async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 60);
      const big = outcome(handleMamIq(query(owner, rsm("<max>1000</max>")), owner, store));
      expect(big.bodies).toHaveLength(MAX_PAGE);
      expect([big.complete, big.count]).toEqual([false, "60"]);
      const zero = handleMamIq(query(owner, rsm("<max>0</max>")), owner, store);
      expect(zero).toHaveLength(1);
      same(zero[0]!, `<iq xmlns='jabber:client' type='result' id='q1' to='${owner}/chamber'><fin xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><count>60</count></set></fin></iq>`);
    });
  });

  it("an empty archive: no results, complete, count 0", async () => {
    await withArchive((store, owner) => {
      const out = handleMamIq(query(owner, ""), owner, store);
      expect(out).toHaveLength(1);
      same(out[0]!, `<iq xmlns='jabber:client' type='result' id='q1' to='${owner}/chamber'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><count>0</count></set></fin></iq>`);
    });
  });

  it("<flip-page/>: the same page sent newest first, first/last unchanged", async () => {
    await withArchive((store, owner) => {
      const ids = fill(store, owner, 8);
      const out = outcome(handleMamIq(query(owner, rsm("<max>3</max><before/>") + "<flip-page/>"), owner, store));
      expect(out.bodies).toEqual(["b7", "b6", "b5"]);
      expect([out.first, out.last]).toEqual([ids[5], ids[7]]);
    });
  });

  it("someone else's query is forbidden", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 2);
      const iq = parse(`<iq xmlns='jabber:client' type='set' id='x' from='juliet@capulet.lit/b' to='${owner}'><query xmlns='urn:xmpp:mam:2'/></iq>`);
      const out = handleMamIq(iq, owner, store);
      expect(out).toHaveLength(1);
      expect(errorOf(out[0]!)).toBe("forbidden");
    });
  });

  it("get: the query form with the extended fields and an open ids list (§4.1.5)", async () => {
    await withArchive((store, owner) => {
      const out = handleMamIq(parse(`<iq xmlns='jabber:client' type='get' id='form1' from='${owner}/c'><query xmlns='urn:xmpp:mam:2'/></iq>`), owner, store);
      same(out[0]!, `<iq xmlns='jabber:client' type='result' id='form1' to='${owner}/c'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='form'>
        <field type='hidden' var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field>
        <field type='jid-single' var='with'/><field type='text-single' var='start'/><field type='text-single' var='end'/>
        <field type='text-single' var='before-id'/><field type='text-single' var='after-id'/>
        <field type='list-multi' var='ids'><validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:string'><open/></validate></field>
        </x></query></iq>`);
    });
  });

  it("metadata: empty, then the first and last entries (§5)", async () => {
    await withArchive((store, owner) => {
      const get = parse(`<iq xmlns='jabber:client' type='get' id='jui8921rr9' from='${owner}/c'><metadata xmlns='urn:xmpp:mam:2'/></iq>`);
      same(handleMamIq(get, owner, store)[0]!, `<iq xmlns='jabber:client' type='result' id='jui8921rr9' to='${owner}/c'><metadata xmlns='urn:xmpp:mam:2'/></iq>`);
      const ids = fill(store, owner, 4);
      same(handleMamIq(get, owner, store)[0]!, `<iq xmlns='jabber:client' type='result' id='jui8921rr9' to='${owner}/c'><metadata xmlns='urn:xmpp:mam:2'>
        <start id='${ids[0]}' timestamp='2010-07-10T23:00:00.000Z'/><end id='${ids[3]}' timestamp='2010-07-10T23:00:03.000Z'/></metadata></iq>`);
    });
  });

  it("a query with a 'node' attribute is not for the user's archive (XEP-0442): recognised, and refused here", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 2);
      const nodeQuery = parse(`<iq xmlns='jabber:client' type='set' id='n1' from='${owner}/c' to='${owner}'><query xmlns='urn:xmpp:mam:2' node='urn:xmpp:microblog:0'/></iq>`);
      expect(isNodeQuery(nodeQuery)).toBe(true);
      expect(isNodeQuery(query(owner, ""))).toBe(false);
      const out = handleMamIq(nodeQuery, owner, store);
      expect(out).toHaveLength(1);
      expect(errorOf(out[0]!)).toBe("feature-not-implemented");
    });
  });

  it("advertises mam:2, mam:2#extended and sid:0", () => {
    expect([...MAM_FEATURES]).toEqual(["urn:xmpp:mam:2", "urn:xmpp:mam:2#extended", "urn:xmpp:sid:0"]);
  });
});

describe("archive bounds", () => {
  it("the running totals agree with the table after appends, bounds and expiry", async () => {
    await withArchive((store, owner, sql) => {
      fill(store, owner, 30);
      store.expire(T0 + 86_400_000 * 7 + 20_500);
      const real = sql.exec<{ n: number; b: number }>("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM mam_archive").one();
      expect([store.count(), store.bytes()]).toEqual([real.n, real.b]);
      expect(store.count()).toBe(9);
    }, { ...DEFAULT_ARCHIVE_LIMITS, maxMessages: 20 });
  });

  it("an archived message costs the same rows read and written whether the archive holds 50 or 400", async () => {
    const perAppend = (bound: number) => withArchive((_store, owner, sql) => {
      const m = metered(sql);
      const store = new ArchiveStore(m.sql, { ...DEFAULT_ARCHIVE_LIMITS, maxMessages: bound });
      fill(store, owner, bound);
      const before = { ...m.rows };
      // At the bound: prefs, expiry, the insert, the eviction of the oldest, the totals row.
      fill(store, owner, 10);
      expect(store.count()).toBe(bound);
      return { read: (m.rows.read - before.read) / 10, written: (m.rows.written - before.written) / 10 };
    });
    const small = await perAppend(50);
    const large = await perAppend(400);
    expect(large).toEqual(small);
    expect(small.read).toBeLessThanOrEqual(16);
    expect(small.written).toBeLessThanOrEqual(10);
  });

  it("keeps at most maxMessages, dropping the oldest", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 8);
      expect(store.count()).toBe(5);
      expect(store.page({}, 10, false).map((e) => e.id)).toHaveLength(5);
      expect(outcome(handleMamIq(query(owner, ""), owner, store)).bodies).toEqual(range(3, 8));
    }, { ...DEFAULT_ARCHIVE_LIMITS, maxMessages: 5 });
  });

  it("keeps at most maxBytes, dropping the oldest, and counts bytes back down", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 40);
      expect(store.bytes()).toBeLessThanOrEqual(2000);
      const kept = store.page({}, 100, false);
      expect(store.bytes()).toBe(kept.reduce((s, e) => s + new TextEncoder().encode(e.stanza).length, 0));
      expect(kept[kept.length - 1]!.stanza).toContain("b39");
      expect(kept.length).toBeGreaterThan(5);
      expect(kept.length).toBeLessThan(40);
    }, { ...DEFAULT_ARCHIVE_LIMITS, maxBytes: 2000 });
  });

  it("refuses a single message over maxMessageBytes", async () => {
    await withArchive((store, owner) => {
      const big = msg("juliet@capulet.lit/b", owner, "x".repeat(DEFAULT_ARCHIVE_LIMITS.maxMessageBytes));
      expect(archiveMessage(store, big, { ownerBare: owner, direction: "in", now: T0, inRoster: () => true })).toBeNull();
      expect(store.count()).toBe(0);
    });
  });

  it("drops entries older than the retention period", async () => {
    await withArchive((store, owner) => {
      const ctx = { ownerBare: owner, direction: "in" as const, inRoster: () => true };
      archiveMessage(store, msg("juliet@capulet.lit/b", owner, "old"), { ...ctx, now: T0 });
      archiveMessage(store, msg("juliet@capulet.lit/b", owner, "mid"), { ...ctx, now: T0 + 86_400_000 });
      archiveMessage(store, msg("juliet@capulet.lit/b", owner, "new"), { ...ctx, now: T0 + 2 * 86_400_000 + 1 });
      expect(outcome(handleMamIq(query(owner, ""), owner, store)).bodies).toEqual(["mid", "new"]);
      expect(store.expire(T0 + 10 * 86_400_000)).toBe(2);
      expect(store.count()).toBe(0);
    }, { ...DEFAULT_ARCHIVE_LIMITS, retentionDays: 2 });
  });

  it("retention 0 or Infinity keeps entries however old (the count and byte bounds still apply)", async () => {
    for (const retentionDays of [0, Infinity]) {
      await withArchive((store, owner) => {
        fill(store, owner, 3);
        expect(store.expire(T0 + 1000 * 86_400_000)).toBe(0);
        archiveMessage(store, msg("juliet@capulet.lit/b", owner, "much later"), { ownerBare: owner, direction: "in", now: T0 + 5000 * 86_400_000, inRoster: () => true });
        expect(store.count()).toBe(3);
      }, { ...DEFAULT_ARCHIVE_LIMITS, retentionDays, maxMessages: 3 });
    }
  });

  it("deleteAll forgets messages and preferences", async () => {
    await withArchive((store, owner) => {
      fill(store, owner, 3);
      store.setPrefs({ default: "never", always: [], never: [] });
      store.deleteAll();
      expect([store.count(), store.bytes(), store.prefs().default]).toEqual([0, 0, "always"]);
    });
  });
});
