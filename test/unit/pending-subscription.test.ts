// Inbound subscription requests kept while pending (RFC 6121 §3.1.3): trimmed to the
// addresses, a short status and a short nick, and at most 500 per account.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { parse } from "ltx";
import { MAX_PENDING_SUBSCRIPTIONS, MAX_PENDING_TEXT_BYTES, trimSubscriptionRequest } from "../../src/im/pending-subscription";
import { createAccount, unique } from "./support/socket";

describe("trimSubscriptionRequest", () => {
  it("keeps addresses, status and nick; drops every other child", () => {
    const pres = parse(
      `<presence xmlns='jabber:client' type='subscribe' id='s1' from='romeo@example.net' to='juliet@example.com' xml:lang='en' extra='x'>` +
      `<status>Hi, it's Romeo</status><nick xmlns='http://jabber.org/protocol/nick'>Romeo</nick>` +
      `<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/><x xmlns='jabber:x:junk'>${"j".repeat(5000)}</x></presence>`,
    );
    expect(trimSubscriptionRequest(pres).toString()).toBe(
      `<presence xmlns="jabber:client" from="romeo@example.net" to="juliet@example.com" type="subscribe" id="s1" xml:lang="en">` +
      `<status>Hi, it's Romeo</status><nick xmlns="http://jabber.org/protocol/nick">Romeo</nick></presence>`,
    );
  });

  it("drops a status or a nick longer than 1 KiB", () => {
    const long = "é".repeat(MAX_PENDING_TEXT_BYTES / 2 + 1); // 1026 bytes
    const pres = parse(`<presence xmlns='jabber:client' type='subscribe' from='a@b' to='c@d'><status>${long}</status><nick xmlns='http://jabber.org/protocol/nick'>${long}</nick></presence>`);
    expect(trimSubscriptionRequest(pres).toString()).toBe(`<presence xmlns="jabber:client" from="a@b" to="c@d" type="subscribe"/>`);
    const fits = "é".repeat(MAX_PENDING_TEXT_BYTES / 2);
    expect(trimSubscriptionRequest(parse(`<presence type='subscribe'><status>${fits}</status></presence>`)).getChildText("status")).toBe(fits);
  });
});

describe("pending requests in the account", () => {
  it("stores the trimmed request and no more than 500 of them", async () => {
    const bare = `${unique("popular")}@localhost`;
    await createAccount(bare);
    const account = env.ACCOUNT.getByName(bare);
    const junk = `<x xmlns='jabber:x:junk'>${"j".repeat(10_000)}</x>`;
    for (let i = 0; i <= MAX_PENDING_SUBSCRIPTIONS; i++) {
      expect(await account.receive(`<presence xmlns='jabber:client' type='subscribe' from='fan${i}@localhost/r' to='${bare}'><status>hi ${i}</status>${junk}</presence>`)).toEqual([]);
    }
    const rows = await runInDurableObject(account, (_o, state) =>
      state.storage.sql.exec<{ jid: string; pending_stanza: string }>("SELECT jid, pending_stanza FROM roster WHERE pending_in = 1").toArray());
    expect(rows.length).toBe(MAX_PENDING_SUBSCRIPTIONS);
    expect(rows.map((r) => r.jid)).not.toContain(`fan${MAX_PENDING_SUBSCRIPTIONS}@localhost`);
    const first = rows.find((r) => r.jid === "fan0@localhost")!;
    expect(first.pending_stanza).toBe(`<presence xmlns="jabber:client" from="fan0@localhost" to="${bare}" type="subscribe"><status>hi 0</status></presence>`);
    // A contact already pending may still re-send its request (it replaces the stored one).
    await account.receive(`<presence xmlns='jabber:client' type='subscribe' from='fan0@localhost/r' to='${bare}'><status>again</status></presence>`);
    const again = await runInDurableObject(account, (_o, state) =>
      state.storage.sql.exec<{ pending_stanza: string }>("SELECT pending_stanza FROM roster WHERE jid = 'fan0@localhost'").one().pending_stanza);
    expect(parse(again).getChildText("status")).toBe("again");
  }, 60_000);
});
