// Offline storage (RFC 6121 §8.5.2.1.1, XEP-0160): bounded in bytes per message, per
// sender and per account, and drained a page at a time on the next initial presence.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { parse } from "ltx";
import {
  MAX_OFFLINE_BYTES, MAX_OFFLINE_MESSAGE_BYTES, MAX_OFFLINE_SENDER_BYTES, OFFLINE_PAGE, OfflineStore,
} from "../../src/im/offline-store";
import { createAccount, eventually, login, unique } from "./support/socket";

/** A stored message of exactly `bytes` UTF-8 bytes. */
function messageOf(bytes: number, id = "m"): string {
  const shell = `<message xmlns='jabber:client' id='${id}'><body></body></message>`;
  return shell.replace("<body></body>", `<body>${"x".repeat(bytes - shell.length)}</body>`);
}

async function withStore<T>(f: (store: OfflineStore, sql: SqlStorage) => Promise<T> | T): Promise<T> {
  const stub = env.ACCOUNT.getByName(`${unique("store")}@localhost`);
  return runInDurableObject(stub, async (_obj, state) => f(new OfflineStore(state.storage.sql), state.storage.sql));
}

describe("OfflineStore budgets", () => {
  it("refuses a message over 64 KiB and keeps one of exactly 64 KiB", async () => {
    await withStore((store) => {
      expect(store.add(messageOf(MAX_OFFLINE_MESSAGE_BYTES + 1), "a@x")).toBe("too-large");
      expect(store.add(messageOf(MAX_OFFLINE_MESSAGE_BYTES), "a@x")).toBeNull();
      expect(store.count()).toBe(1);
      expect(store.bytes()).toBe(MAX_OFFLINE_MESSAGE_BYTES);
    });
  });

  it("counts bytes per sender (1 MiB) and per account (5 MiB)", async () => {
    await withStore((store) => {
      const big = messageOf(MAX_OFFLINE_MESSAGE_BYTES);
      const perSender = MAX_OFFLINE_SENDER_BYTES / MAX_OFFLINE_MESSAGE_BYTES; // 16
      for (let i = 0; i < perSender; i++) expect(store.add(big, "flood@x")).toBeNull();
      expect(store.add(big, "flood@x")).toBe("sender-full");
      expect(store.bytes("flood@x")).toBe(MAX_OFFLINE_SENDER_BYTES);
      // Other senders fill the account up to 5 MiB, then everyone is refused.
      const total = MAX_OFFLINE_BYTES / MAX_OFFLINE_MESSAGE_BYTES; // 80
      for (let i = perSender; i < total; i++) expect(store.add(big, `s${Math.floor(i / perSender)}@x`)).toBeNull();
      expect(store.bytes()).toBe(MAX_OFFLINE_BYTES);
      expect(store.add(messageOf(200), "fresh@x")).toBe("full");
      expect(store.count()).toBe(total);
    });
  });

  it("reads a page of at most 20, oldest first", async () => {
    await withStore((store) => {
      for (let i = 0; i < 45; i++) store.add(messageOf(100, `m${i}`), "a@x");
      const page = store.page();
      expect(page.length).toBe(OFFLINE_PAGE);
      expect(page.map((m) => parse(m.stanza).attrs.id)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      store.deleteThrough(page[19]!.id);
      expect(parse(store.page()[0]!.stanza).attrs.id).toBe("m20");
      expect(store.count()).toBe(25);
    });
  });

  it("drain delivers in order and keeps everything from the first refused message on", async () => {
    await withStore(async (store) => {
      for (let i = 0; i < 45; i++) store.add(messageOf(100, `m${i}`), "a@x");
      const got: string[] = [];
      const n = await store.drain(async (s) => {
        const id = parse(s).attrs.id as string;
        if (id === "m30") return false;
        got.push(id);
        return true;
      });
      expect(n).toBe(30);
      expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
      // The refused message was not lost: it and the 14 after it are still there.
      expect(store.count()).toBe(15);
      expect(parse(store.page()[0]!.stanza).attrs.id).toBe("m30");
      const rest: string[] = [];
      expect(await store.drain(async (s) => (rest.push(parse(s).attrs.id as string), true))).toBe(15);
      expect(rest[14]).toBe("m44");
      expect(store.count()).toBe(0);
    });
  });
});

describe("offline storage through the account object", () => {
  it("answers service-unavailable with the reason when a message is over the budget", async () => {
    const bare = `${unique("big")}@localhost`;
    await createAccount(bare);
    const account = env.ACCOUNT.getByName(bare);
    const body = "y".repeat(MAX_OFFLINE_MESSAGE_BYTES);
    const replies = await account.receive(`<message xmlns='jabber:client' type='chat' id='b1' from='eve@localhost/r' to='${bare}'><body>${body}</body></message>`);
    expect(replies.length).toBe(1);
    const err = parse(replies[0]!);
    expect(err.attrs).toMatchObject({ type: "error", id: "b1", to: "eve@localhost/r", from: bare });
    expect(err.getChild("error")!.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeTruthy();
    expect(err.getChild("error")!.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBe("the message is too large for offline storage");
    // A small one is still stored.
    expect(await account.receive(`<message xmlns='jabber:client' type='chat' id='b2' from='eve@localhost/r' to='${bare}'><body>hi</body></message>`)).toEqual([]);
  });

  it("delivers 45 stored messages in order on initial presence and empties the store", async () => {
    const user = unique("drain");
    const bare = `${user}@localhost`;
    await createAccount(bare);
    const account = env.ACCOUNT.getByName(bare);
    for (let i = 0; i < 45; i++) {
      expect(await account.receive(`<message xmlns='jabber:client' type='chat' id='o${i}' from='ann@localhost/r' to='${bare}'><body>${i}</body></message>`)).toEqual([]);
    }
    const { s } = await login(user, "r", { presence: true });
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) ids.push((await s.next((e) => e.name === "message")).attrs.id as string);
    expect(ids).toEqual(Array.from({ length: 45 }, (_, i) => `o${i}`));
    await eventually(() => runInDurableObject(account, (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM offline").one().n === 0));
    s.close();
  });
});
