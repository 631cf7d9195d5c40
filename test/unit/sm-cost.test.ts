// What stream management costs in storage per stanza (src/stream-management/
// docs/stream-management.md, "Cost"): rows written (SQLite's total_changes()), for the
// hot path: one stanza out (kept before the send), one in (counted), and the ack that
// releases a batch. A guard against the hot path growing unnoticed.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { SmStore } from "../../src/stream-management/session-store";
import { beforeSend } from "../../src/stream-management/stream-glue";
import { ACK_REQUEST_EVERY } from "../../src/stream-management/ack-policy";
import { unique } from "./support/socket";

describe("storage cost per stanza", () => {
  it(`stays within 2.5 rows written per stanza sent and acknowledged in batches of ${ACK_REQUEST_EVERY}`, async () => {
    await runInDurableObject(env.ACCOUNT.getByName(`${unique("cost")}@localhost`), async (_o, state) => {
      const sql = state.storage.sql;
      const store = new SmStore(sql);
      const s = store.create({ account: "a@localhost", resource: "r", connection: "c", resumable: true, resumeWindow: 300, maxQueue: 500 });
      const stanza = `<message xmlns="jabber:client" to="a@localhost/r"><body>${"x".repeat(100)}</body></message>`;
      const N = 200;
      const before = sql.databaseSize;
      let written = 0;
      const t0 = performance.now();
      for (let i = 1; i <= N; i++) {
        const c0 = sumWrites(sql);
        beforeSend(store, s.id, stanza, i);
        if (i % ACK_REQUEST_EVERY === 0) store.ack(s.id, i);
        written += sumWrites(sql) - c0;
      }
      const elapsed = performance.now() - t0;
      expect(store.queue(s.id)).toEqual([]);
      const perStanza = written / N;
      console.log(`sm cost: ${perStanza.toFixed(2)} rows written per stanza (incl. ack), ${(elapsed / N).toFixed(3)} ms per stanza in workerd, db ${before} -> ${sql.databaseSize} bytes`);
      expect(perStanza).toBeGreaterThan(0);
      expect(perStanza).toBeLessThanOrEqual(2.5);
      const h0 = sumWrites(sql);
      for (let i = 0; i < N; i++) store.handled(s.id);
      const inbound = (sumWrites(sql) - h0) / N;
      console.log(`sm cost: ${inbound.toFixed(2)} rows written per inbound stanza counted`);
      expect(inbound).toBe(1);
    });
  });
});

/** Rows written so far by this object's SQLite, from a cursor on a no-op statement. */
function sumWrites(sql: SqlStorage): number {
  return Number(sql.exec<{ n: number }>("SELECT total_changes() AS n").one().n);
}
