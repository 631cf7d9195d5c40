// Directed presence (RFC 6121 §4.6): whoever got a directed available presence gets
// unavailable when the sending resource goes offline (§4.6.3), even if that resource
// never sent initial presence; the remembered targets are bounded per resource.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { MAX_DIRECTED, ResourcesStore } from "../../src/im/resources-store";
import { createAccount, eventually, login, unique } from "./support/socket";

const directedRows = (bare: string) =>
  runInDurableObject(env.ACCOUNT.getByName(bare), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM directed").one().n);

describe("directed presence from a resource that never sent initial presence", () => {
  for (const ending of ["disconnect", "unavailable"] as const) {
    it(`the recipient gets unavailable on ${ending}, and the row is gone`, async () => {
      const a = unique("dpa");
      const b = unique("dpb");
      await createAccount(`${a}@localhost`);
      await createAccount(`${b}@localhost`);
      const bob = await login(b, "desk", { presence: true });
      const alice = await login(a, "phone"); // bound, no initial presence
      alice.s.send(`<presence xmlns='jabber:client' to='${bob.full}'><status>hi</status></presence>`);
      const avail = await bob.s.next((e) => e.name === "presence" && e.attrs.from === alice.full);
      expect(avail.attrs.type).toBeUndefined();
      await eventually(async () => (await directedRows(`${a}@localhost`)) === 1);

      if (ending === "disconnect") alice.s.close();
      else alice.s.send(`<presence xmlns='jabber:client' type='unavailable'><status>bye</status></presence>`);
      const gone = await bob.s.next((e) => e.name === "presence" && e.attrs.from === alice.full);
      expect(gone.attrs.type).toBe("unavailable");
      expect(gone.attrs.to).toBe(bob.full);
      if (ending === "unavailable") expect(gone.getChildText("status")).toBe("bye");
      expect(await directedRows(`${a}@localhost`)).toBe(0);
      bob.s.close();
      if (ending === "unavailable") alice.s.close();
    });
  }
});

describe("ResourcesStore directed targets", () => {
  it(`keeps at most ${MAX_DIRECTED} per resource`, async () => {
    await runInDurableObject(env.ACCOUNT.getByName(`${unique("cap")}@localhost`), (_o, state) => {
      const store = new ResourcesStore(state.storage.sql);
      for (let i = 0; i < MAX_DIRECTED; i++) expect(store.addDirected("r", `room${i}@muc.example/nick`)).toBe(true);
      expect(store.addDirected("r", "one-more@muc.example/nick")).toBe(false);
      expect(store.addDirected("other", "one-more@muc.example/nick")).toBe(true);
      const taken = store.takeDirected("r");
      expect(taken.length).toBe(MAX_DIRECTED);
      expect(taken).not.toContain("one-more@muc.example/nick");
      expect(store.takeDirected("r")).toEqual([]);
    });
  });
});
