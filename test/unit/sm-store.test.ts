// The durable stream-management store (src/stream-management/session-store.ts)
// inside a real Durable Object's SQLite: the AccountObject hosts the tables, one fresh
// object per test.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { parse } from "ltx";
import { ENDED_KEEP_MS, MAX_ENDED, SmStore, type NewSession } from "../../src/stream-management/session-store";
import { H_MODULUS } from "../../src/stream-management/counter";
import { unique } from "./support/socket";

const x = (xml: string) => parse(xml).toString();

function objectName(): string {
  return `${unique("sm")}@localhost`;
}

async function withStore<T>(f: (store: SmStore, sql: SqlStorage) => T | Promise<T>, name = objectName()): Promise<T> {
  return runInDurableObject(env.ACCOUNT.getByName(name), async (_obj, state) => f(new SmStore(state.storage.sql), state.storage.sql));
}

const ALICE = "alice@localhost";
const session = (over: Partial<NewSession> = {}): NewSession => ({
  account: ALICE, resource: "phone", connection: "conn-1", resumable: true, resumeWindow: 300, maxQueue: 500, ...over,
});
const msg = (id: string, to = "alice@localhost/phone") => `<message xmlns="jabber:client" from="bob@localhost/pc" to="${to}" id="${id}" type="chat"><body>${id}</body></message>`;

describe("SmStore: counting and acknowledging", () => {
  it("counts each stanza sent, keeps it until acknowledged, releases the acknowledged prefix", async () => {
    await withStore((store) => {
      const s = store.create(session());
      expect(s.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(s).toMatchObject({ account: ALICE, resource: "phone", resumable: true, resumeWindow: 300, handledIn: 0, sent: 0, acked: 0, detachedSince: null });
      expect([1, 2, 3].map((i) => store.enqueue(s.id, msg(`m${i}`), 1000, true))).toEqual([
        { ok: true, h: 1, unacked: 1, requestedAt: null }, { ok: true, h: 2, unacked: 2, requestedAt: null }, { ok: true, h: 3, unacked: 3, requestedAt: null },
      ]);
      expect(store.ack(s.id, 2)).toEqual({ kind: "ack", released: 2 });
      expect(store.queue(s.id)).toEqual([msg("m3")]);
      expect(store.get(s.id)).toMatchObject({ sent: 3, acked: 2 });
      expect(store.ack(s.id, 2)).toEqual({ kind: "ack", released: 0 });
      expect(store.ack(s.id, 4)).toEqual({ kind: "too-high", h: 4, sendCount: 3 });
      expect(store.queue(s.id)).toEqual([msg("m3")]); // a bad ack changes nothing
      expect(store.ack("no-such-id", 1)).toEqual({ kind: "unknown" });
    });
  });

  it("counts handled inbound stanzas", async () => {
    await withStore((store) => {
      const s = store.create(session());
      expect([store.handled(s.id), store.handled(s.id), store.handled(s.id)]).toEqual([1, 2, 3]);
      expect(store.get(s.id)!.handledIn).toBe(3);
    });
  });

  it("keeps in memory exactly what storage holds: a fresh store reads the same session after every step", async () => {
    await withStore((store, sql) => {
      const s = store.create(session());
      const stored = () => new SmStore(sql).get(s.id);
      const steps: Array<() => unknown> = [
        () => store.enqueue(s.id, msg("m1"), 1, true),
        () => store.enqueue(s.id, msg("p1"), 2, false, "bob@localhost/pc"),
        () => store.enqueue(s.id, msg("p2"), 3, false, "bob@localhost/pc"), // replaces p1
        () => store.handled(s.id),
        () => store.markRequested(s.id, 4),
        () => store.ack(s.id, 1),
        () => store.handled(s.id),
        () => store.detach(s.id, 5),
        () => store.takeForResume(s.id, ALICE, 1, "conn-2", 6),
        () => store.enqueue(s.id, msg("m3"), 7, true),
        () => store.ack(s.id, 3),
      ];
      for (const step of steps) {
        step();
        expect(store.get(s.id)).toEqual(stored());
      }
      expect(store.get(s.id)).toMatchObject({ sent: 3, acked: 3, handledIn: 2, connection: "conn-2", detachedSince: null, requestedAt: null });
      store.end(s.id, 8);
      expect(store.get(s.id)).toBeNull();
      expect(stored()).toBeNull();
    });
  });

  it("keeps its state in storage, not in memory: a second visit to the object sees it", async () => {
    const name = objectName();
    const id = await withStore((store) => {
      const s = store.create(session());
      store.enqueue(s.id, msg("m1"), 1, true);
      store.handled(s.id);
      return s.id;
    }, name);
    await withStore((store) => {
      expect(store.get(id)).toMatchObject({ sent: 1, handledIn: 1 });
      expect(store.queue(id)).toEqual([msg("m1")]);
    }, name);
  });

  it("wraps h at 2^32: the wire h restarts at 0 and an ack across the wrap releases the right rows", async () => {
    await withStore((first, sql) => {
      const s = first.create(session());
      sql.exec("UPDATE sm_sessions SET acked = ? WHERE id = ?", H_MODULUS - 2, s.id); // sent = acked + queued
      // As after a restart: a new store reads the session from storage (the first keeps a copy).
      const store = new SmStore(sql);
      expect([1, 2, 3, 4].map((i) => store.enqueue(s.id, msg(`w${i}`), 1, true))).toEqual([
        { ok: true, h: 4294967295, unacked: 1, requestedAt: null }, { ok: true, h: 0, unacked: 2, requestedAt: null },
        { ok: true, h: 1, unacked: 3, requestedAt: null }, { ok: true, h: 2, unacked: 4, requestedAt: null },
      ]);
      expect(store.ack(s.id, 0)).toEqual({ kind: "ack", released: 2 });
      expect(store.queue(s.id)).toEqual([msg("w3"), msg("w4")]);
      expect(store.ack(s.id, 3)).toEqual({ kind: "too-high", h: 3, sendCount: 2 });
      expect(store.ack(s.id, 2)).toEqual({ kind: "ack", released: 2 });
      expect(store.get(s.id)).toMatchObject({ sent: H_MODULUS + 2, acked: H_MODULUS + 2 });
    });
  });
});

describe("SmStore: the queue bound", () => {
  it("refuses past max_queue, nothing stored, and takes more once acknowledged", async () => {
    await withStore((store) => {
      const s = store.create(session({ maxQueue: 3 }));
      for (let i = 1; i <= 3; i++) expect(store.enqueue(s.id, msg(`m${i}`), 1, true).ok).toBe(true);
      expect(store.enqueue(s.id, msg("m4"), 1, true)).toEqual({ ok: false, reason: "queue-full" });
      expect(store.get(s.id)!.sent).toBe(3);
      expect(store.queue(s.id)).toHaveLength(3);
      store.ack(s.id, 1);
      expect(store.enqueue(s.id, msg("m4"), 1, true)).toEqual({ ok: true, h: 4, unacked: 3, requestedAt: null });
      // Past the bound the caller ends the session: what it held comes back for offline storage.
      expect(store.enqueue(s.id, msg("m5"), 1, true).ok).toBe(false);
      const ended = store.end(s.id, 2)!;
      expect(ended.rerouted.messages).toEqual([msg("m2"), msg("m3"), msg("m4")]);
      expect(store.get(s.id)).toBeNull();
    });
  });

  it("keeps only the latest presence per sender among stanzas kept while detached", async () => {
    await withStore((store) => {
      const s = store.create(session());
      const pres = (from: string, show: string) => `<presence xmlns="jabber:client" from="${from}" to="alice@localhost/phone"><show>${show}</show></presence>`;
      store.enqueue(s.id, pres("bob@localhost/pc", "chat"), 1, true, "bob@localhost/pc"); // on the wire: never replaced
      store.detach(s.id, 2);
      store.enqueue(s.id, pres("bob@localhost/pc", "away"), 3, false, "bob@localhost/pc");
      store.enqueue(s.id, msg("m1"), 3, false);
      store.enqueue(s.id, pres("carol@localhost/x", "dnd"), 3, false, "carol@localhost/x");
      store.enqueue(s.id, pres("bob@localhost/pc", "xa"), 4, false, "bob@localhost/pc");
      expect(store.queue(s.id)).toEqual([pres("bob@localhost/pc", "chat"), msg("m1"), pres("carol@localhost/x", "dnd"), pres("bob@localhost/pc", "xa")]);
      expect(store.get(s.id)).toMatchObject({ sent: 4, acked: 0 });
      // The client saw one stanza before the socket went; resuming with h=1 resends the other three.
      const r = store.takeForResume(s.id, ALICE, 1, "conn-2", 5);
      expect(r.kind === "resumed" && r.stanzas).toEqual([msg("m1"), pres("carol@localhost/x", "dnd"), pres("bob@localhost/pc", "xa")]);
    });
  });
});

describe("SmStore: resumption", () => {
  it("hands the session to the new connection: releases what h acknowledges, returns the rest and what was kept meanwhile, in order", async () => {
    await withStore((store) => {
      const s = store.create(session());
      for (const id of ["m1", "m2", "m3"]) store.enqueue(s.id, msg(id), 10, true);
      store.handled(s.id);
      store.handled(s.id);
      expect(store.detach(s.id, 1000)).toBe(1000 + 300_000);
      expect(store.nextExpiry()).toBe(301_000);
      store.enqueue(s.id, msg("k1", ALICE), 2000, false); // kept while detached
      const r = store.takeForResume(s.id, ALICE, 1, "conn-2", 3000);
      expect(r).toEqual({ kind: "resumed", handledIn: 2, resource: "phone", previousConnection: "conn-1", wasDetached: true, stanzas: [msg("m2"), msg("m3"), msg("k1", ALICE)] });
      expect(store.get(s.id)).toMatchObject({ connection: "conn-2", detachedSince: null, sent: 4, acked: 1 });
      expect(store.nextExpiry()).toBeNull();
      // Counting goes on from there: the resent stanzas are 2..4, the next new one is 5.
      expect(store.enqueue(s.id, msg("m5"), 4000, true)).toEqual({ ok: true, h: 5, unacked: 4, requestedAt: null });
      expect(store.ack(s.id, 5)).toEqual({ kind: "ack", released: 4 });
      expect(store.queue(s.id)).toEqual([]);
    });
  });

  it("resumes a session whose old socket is still attached (the caller closes it with conflict)", async () => {
    await withStore((store) => {
      const s = store.create(session());
      const r = store.takeForResume(s.id, ALICE, 0, "conn-2", 1);
      expect(r).toMatchObject({ kind: "resumed", previousConnection: "conn-1", wasDetached: false, stanzas: [] });
    });
  });

  it("answers another account's previd, an unknown id and a non-resumable session as not-found, and changes nothing", async () => {
    await withStore((store) => {
      const s = store.create(session());
      store.enqueue(s.id, msg("m1"), 1, true);
      store.detach(s.id, 1);
      expect(store.takeForResume(s.id, "mallory@localhost", 0, "conn-m", 2)).toEqual({ kind: "not-found" });
      expect(store.takeForResume("AAAAAAAAAAAAAAAAAAAAAA", ALICE, 0, "conn-2", 2)).toEqual({ kind: "not-found" });
      const plain = store.create(session({ resource: "tablet", resumable: false }));
      expect(store.takeForResume(plain.id, ALICE, 0, "conn-2", 2)).toEqual({ kind: "not-found" });
      expect(store.get(s.id)).toMatchObject({ connection: "conn-1", detachedSince: 1, sent: 1, acked: 0 });
      expect(store.takeForResume(s.id, ALICE, 0, "conn-2", 3)).toMatchObject({ kind: "resumed", stanzas: [msg("m1")] });
    });
  });

  it("another account's <resume/> learns nothing even about an ended session", async () => {
    await withStore((store) => {
      const s = store.create(session());
      store.handled(s.id);
      store.end(s.id, 5);
      expect(store.takeForResume(s.id, "mallory@localhost", 0, "conn-m", 6)).toEqual({ kind: "not-found" });
      expect(store.takeForResume(s.id, ALICE, 0, "conn-2", 6)).toEqual({ kind: "expired", handledIn: 1 });
    });
  });

  it("refuses an h above what was sent without taking the session over", async () => {
    await withStore((store) => {
      const s = store.create(session());
      store.enqueue(s.id, msg("m1"), 1, true);
      store.detach(s.id, 2);
      expect(store.takeForResume(s.id, ALICE, 2, "conn-2", 3)).toEqual({ kind: "too-high", h: 2, sendCount: 1 });
      expect(store.get(s.id)).toMatchObject({ connection: "conn-1", detachedSince: 2 });
    });
  });

  it("after the window, <resume/> ends the session (its stanzas to reroute) and a later one fails with the same h", async () => {
    await withStore((store) => {
      const s = store.create(session({ resumeWindow: 60 }));
      store.enqueue(s.id, msg("m1"), 1, true);
      store.handled(s.id);
      store.handled(s.id);
      store.detach(s.id, 1000);
      const r = store.takeForResume(s.id, ALICE, 0, "conn-2", 61_000);
      expect(r.kind).toBe("expired");
      if (r.kind !== "expired") return;
      expect(r.handledIn).toBe(2);
      expect(r.ended?.rerouted.messages).toEqual([msg("m1")]);
      expect(store.takeForResume(s.id, ALICE, 0, "conn-3", 62_000)).toEqual({ kind: "expired", handledIn: 2 });
    });
  });
});

describe("SmStore: expiry", () => {
  it("ends only the sessions whose window has passed, with what must be rerouted", async () => {
    await withStore((store) => {
      const a = store.create(session({ resumeWindow: 10 }));
      const b = store.create(session({ resource: "laptop", resumeWindow: 100 }));
      const live = store.create(session({ resource: "desk" }));
      store.enqueue(a.id, msg("to-full"), 1, true);
      store.enqueue(a.id, `<iq xmlns="jabber:client" type="get" id="q1" from="bob@localhost/pc" to="alice@localhost/phone"><query xmlns="jabber:iq:version"/></iq>`, 1, true);
      store.enqueue(a.id, `<presence xmlns="jabber:client" from="bob@localhost/pc" to="alice@localhost/phone"/>`, 1, true);
      store.enqueue(a.id, `<iq xmlns="jabber:client" type="result" id="r1" from="localhost" to="alice@localhost/phone"/>`, 1, true);
      store.enqueue(a.id, `<message xmlns="jabber:client" type="groupchat" id="g1" from="room@muc.localhost/bob" to="alice@localhost/phone"><body>hi</body></message>`, 1, true);
      store.enqueue(a.id, `<message xmlns="jabber:client" type="error" id="e1" from="bob@localhost" to="alice@localhost/phone"/>`, 1, true);
      store.enqueue(a.id, msg("to-bare", ALICE), 1, false);
      // Made for that session only (a carbon copy from the account's own bare JID): not rerouted.
      store.enqueue(a.id, `<message xmlns="jabber:client" type="chat" id="c1" from="alice@localhost" to="alice@localhost/phone"><received xmlns="urn:xmpp:carbons:2"/></message>`, 1, true);
      store.handled(a.id);
      store.detach(a.id, 0);
      store.detach(b.id, 0);
      expect(store.nextExpiry()).toBe(10_000);
      expect(store.expireDue(9_999)).toEqual([]);
      expect(store.dueIds(10_000)).toEqual([a.id]);
      expect(store.get(a.id)).not.toBeNull(); // dueIds leaves it in place
      const ended = store.expireDue(10_000);
      expect(ended.map((e) => e.id)).toEqual([a.id]);
      const e = ended[0]!;
      expect(e).toMatchObject({ account: ALICE, resource: "phone", connection: "conn-1", handledIn: 1 });
      expect(e.rerouted.messages).toEqual([msg("to-full"), msg("to-bare", ALICE)]);
      expect(e.rerouted.errors.map(x)).toEqual([
        x(`<iq xmlns="jabber:client" type="error" from="alice@localhost/phone" to="bob@localhost/pc" id="q1"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`),
        x(`<message xmlns="jabber:client" type="error" from="alice@localhost/phone" to="room@muc.localhost/bob" id="g1"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`),
      ]);
      expect(e.rerouted.dropped).toBe(4); // presence, iq result, message error, own carbon copy
      expect(store.get(a.id)).toBeNull();
      expect(store.queue(a.id)).toEqual([]);
      expect(store.nextExpiry()).toBe(100_000);
      expect(store.get(live.id)).not.toBeNull();
      expect(store.expireDue(100_000).map((x) => x.id)).toEqual([b.id]);
      expect(store.nextExpiry()).toBeNull();
    });
  });

  it("detaching twice keeps the first time (a restart noticed late does not extend the window)", async () => {
    await withStore((store) => {
      const s = store.create(session({ resumeWindow: 10 }));
      expect(store.detach(s.id, 1000)).toBe(11_000);
      expect(store.detach(s.id, 5000)).toBe(11_000);
    });
  });

  it("a non-resumable session ends without a trace: a <resume/> of it is not-found", async () => {
    await withStore((store) => {
      const s = store.create(session({ resumable: false }));
      expect(s.resumeWindow).toBe(0);
      store.enqueue(s.id, msg("m1"), 1, true);
      store.detach(s.id, 5);
      expect(store.expireDue(5).map((e) => e.rerouted.messages)).toEqual([[msg("m1")]]);
      expect(store.takeForResume(s.id, ALICE, 0, "c", 6)).toEqual({ kind: "not-found" });
    });
  });

  it(`remembers at most ${MAX_ENDED} ended sessions, for at most a day`, async () => {
    await withStore((store, sql) => {
      const ids: string[] = [];
      for (let i = 0; i < MAX_ENDED + 5; i++) {
        const s = store.create(session({ resource: `r${i}` }));
        ids.push(s.id);
        store.end(s.id, 1000 + i);
      }
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sm_ended").one().n).toBe(MAX_ENDED);
      expect(store.takeForResume(ids[0]!, ALICE, 0, "c", 2000)).toEqual({ kind: "not-found" });
      expect(store.takeForResume(ids.at(-1)!, ALICE, 0, "c", 2000)).toEqual({ kind: "expired", handledIn: 0 });
      const late = store.create(session({ resource: "late" }));
      store.end(late.id, 1000 + MAX_ENDED + 5 + ENDED_KEEP_MS);
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sm_ended").one().n).toBe(1);
    });
  });
});
