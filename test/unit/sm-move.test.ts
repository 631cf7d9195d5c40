// Resumption moves a session from the old connection object to the new one
// (docs/stream-management.md): export from one Durable Object's SQLite,
// import into another's, with the account's directory telling where each session lives.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { SmStore, MAX_ENDED, ENDED_KEEP_MS, type SmSnapshot } from "../../src/stream-management/session-store";
import { SmDirectory } from "../../src/stream-management/directory-store";
import { unique } from "./support/socket";

const ALICE = "alice@localhost";
const msg = (id: string) => `<message xmlns="jabber:client" to="alice@localhost/phone" id="${id}"><body>${id}</body></message>`;

async function inObject<T>(name: string, f: (sql: SqlStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(env.ACCOUNT.getByName(name), async (_obj, state) => f(state.storage.sql));
}

describe("moving a session between objects", () => {
  it("old object: take for resume and export; new object: import behind what it kept meanwhile", async () => {
    const oldObj = `${unique("old")}@localhost`;
    const newObj = `${unique("new")}@localhost`;
    const id = "previd-aaaaaaaaaaaaaaa";
    const snap = await inObject(oldObj, (sql) => {
      const store = new SmStore(sql);
      store.create({ account: ALICE, resource: "phone", connection: "conn-old", resumable: true, resumeWindow: 300, maxQueue: 500 }, id);
      for (const m of ["m1", "m2", "m3"]) store.enqueue(id, msg(m), 1, true);
      store.handled(id);
      store.handled(id);
      store.detach(id, 10);
      const r = store.takeForResume(id, ALICE, 1, "conn-new", 20);
      expect(r).toMatchObject({ kind: "resumed", previousConnection: "conn-old", stanzas: [msg("m2"), msg("m3")] });
      const s = store.exportSession(id);
      expect(store.get(id)).toBeNull();
      expect(store.queue(id)).toEqual([]);
      expect(store.exportSession(id)).toBeNull();
      // A late <resume/> reaching the old object finds nothing (no tombstone: the session lives on).
      expect(store.takeForResume(id, ALICE, 1, "conn-x", 30)).toEqual({ kind: "not-found" });
      return s!;
    });
    expect(snap.session).toMatchObject({ id, account: ALICE, resource: "phone", handledIn: 2, sent: 3, acked: 1 });
    expect(snap.rows.map((r) => [r.stanza, r.onWire])).toEqual([[msg("m2"), true], [msg("m3"), true]]);
    // The snapshot crosses objects by RPC: structured-cloneable.
    const travelled = structuredClone(snap) as SmSnapshot;
    await inObject(newObj, (sql) => {
      const store = new SmStore(sql);
      // Delivered to the new connection before the move finished: kept under the same id.
      store.create({ account: ALICE, resource: "", connection: "conn-new", resumable: true, resumeWindow: 300, maxQueue: 500 }, id);
      store.enqueue(id, msg("k1"), 25, false);
      const s = store.importSession(travelled, "conn-new");
      expect(s).toMatchObject({ id, resource: "phone", connection: "conn-new", handledIn: 2, sent: 4, acked: 1, detachedSince: null });
      expect(store.queue(id)).toEqual([msg("m2"), msg("m3"), msg("k1")]);
      // All of it is written right after <resumed/>: on the wire, never replaced any more.
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sm_queue WHERE session = ? AND on_wire = 0", id).one().n).toBe(0);
      expect(store.enqueue(id, msg("m5"), 30, true)).toEqual({ ok: true, h: 5, unacked: 4, requestedAt: null });
      expect(store.ack(id, 4)).toEqual({ kind: "ack", released: 3 });
      expect(store.queue(id)).toEqual([msg("m5")]);
      expect(store.handled(id)).toBe(3);
    });
  });
});

describe("SmDirectory (the account's map of its sessions)", () => {
  it("finds a session by id and by resource, moves it once at a time, remembers ended ones", async () => {
    await inObject(`${unique("dir")}@localhost`, (sql) => {
      const dir = new SmDirectory(sql);
      dir.register("s1", "phone", "conn-1", 100);
      expect(dir.get("s1")).toEqual({ id: "s1", resource: "phone", connection: "conn-1", endedAt: null, movingTo: null });
      expect(dir.live("phone")?.id).toBe("s1");
      expect(dir.beginMove("s1", "conn-2")).toBe(true);
      expect(dir.beginMove("s1", "conn-3")).toBe(false); // two resumptions never both own it
      dir.abortMove("s1");
      expect(dir.get("s1")).toMatchObject({ connection: "conn-1", movingTo: null });
      expect(dir.beginMove("s1", "conn-3")).toBe(true);
      dir.finishMove("s1");
      expect(dir.get("s1")).toMatchObject({ connection: "conn-3", movingTo: null });
      dir.ended("s1", 200);
      expect(dir.live("phone")).toBeNull();
      expect(dir.get("s1")).toMatchObject({ endedAt: 200 });
      expect(dir.beginMove("s1", "conn-4")).toBe(false);
      expect(dir.get("nope")).toBeNull();
    });
  });

  it("a new session of the resource ends the earlier one", async () => {
    await inObject(`${unique("dir")}@localhost`, (sql) => {
      const dir = new SmDirectory(sql);
      dir.register("s1", "phone", "conn-1", 100);
      dir.register("s2", "phone", "conn-2", 150);
      expect(dir.get("s1")?.endedAt).toBe(150);
      expect(dir.live("phone")?.id).toBe("s2");
    });
  });

  it(`keeps at most ${MAX_ENDED} ended entries, for at most a day`, async () => {
    await inObject(`${unique("dir")}@localhost`, (sql) => {
      const dir = new SmDirectory(sql);
      for (let i = 0; i < MAX_ENDED + 3; i++) {
        dir.register(`s${i}`, `r${i}`, "c", i);
        dir.ended(`s${i}`, 1000 + i);
      }
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sm_directory").one().n).toBe(MAX_ENDED);
      expect(dir.get("s0")).toBeNull();
      dir.register("live", "desk", "c", 2000 + ENDED_KEEP_MS);
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sm_directory").one().n).toBe(1);
      expect(dir.live("desk")?.id).toBe("live");
    });
  });
});
