// The archive's configured bounds (docs/user-data.md): `archive.max_messages` keeps the
// newest entries, the oldest go first; a gateway of its own with a small bound.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_CONFIG } from "./support/config";
import { createUser, startGateway, uniqueName, type Gateway } from "./support/gateway";
import { online } from "./support/im";
import { chat, isChat, mamQuery, resultOf } from "./user-data-support";

describe("archive.max_messages", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ vars: { XMPP_CONFIG: JSON.stringify({ ...E2E_CONFIG, archive: { max_messages: 3, retention_days: 1 } }) } });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it("keeps the newest max_messages entries per account", async () => {
    const [alice, bob] = [uniqueName("mb-alice"), uniqueName("mb-bob")];
    await createUser(`${alice}@localhost`, "pw", gw.url);
    await createUser(`${bob}@localhost`, "pw", gw.url);
    const a = await online(gw.url, alice, "a");
    const b = await online(gw.url, bob, "b");
    for (let i = 1; i <= 5; i++) {
      b.send(chat(a.jid, `m${i}`));
      await a.next(isChat(`m${i}`));
    }
    const q = await mamQuery(a);
    expect(q.results.map((r) => resultOf(r).message.getChildText("body"))).toEqual(["m3", "m4", "m5"]);
    expect(q.fin.getChild("set", "http://jabber.org/protocol/rsm")!.getChildText("count")).toBe("3");
    a.close();
    b.close();
  });
});
