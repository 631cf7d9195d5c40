// XEP-0198 resumption across a restart of `wrangler dev` on the same --persist-to
// directory: what a deploy does to every socket (CONTRACT.md "Sessions that survive").
// Nothing the client had not counted is lost, nothing it counted comes twice.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { client, xml } from "@xmpp/client";
import type { Element } from "ltx";
import { afterAll, describe, expect, it } from "vitest";
import { createUser, startGateway, uniqueName, type Gateway } from "./support/gateway";
import { RawXmpp } from "./support/raw-client";
import { NS_SM, chat, isMessageId, isSm, messageIds, resume, smLogin } from "./support/sm";
import { wsUrl } from "./support/url";
import "./support/xmpp-client"; // sets globalThis.WebSocket for @xmpp/client

describe("resumption survives a gateway restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "xmpp-edge-e2e-sm-"));
  let gw: Gateway | undefined;
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function restart(): Promise<void> {
    const port = gw!.port;
    await gw!.stop();
    gw = await startGateway({ persistDir: dir, port });
  }

  it("raw client: unacknowledged and meanwhile stanzas come back in order, acknowledged ones do not, h both ways holds", { timeout: 120_000 }, async () => {
    gw = await startGateway({ persistDir: dir });
    const a = uniqueName("rs-alice");
    const b = uniqueName("rs-bob");
    const aBare = `${a}@localhost`;
    const bBare = `${b}@localhost`;
    await createUser(aBare, "pw", gw.url);
    await createUser(bBare, "pw", gw.url);
    const alice = await smLogin(gw.url, a, "phone", { presence: true }); // 1 in, 1 out (the echo)
    const bob = await RawXmpp.login(gw.url, { username: b, resource: "b" });
    bob.send(chat(`${aBare}/phone`, "r1", "one"));
    bob.send(chat(`${aBare}/phone`, "r2", "two"));
    await alice.c.next(isMessageId("r2"));
    alice.c.send(`<a xmlns='${NS_SM}' h='2'/>`); // the echo and r1
    alice.c.send(chat(`${bBare}/b`, "o1", "from alice"));
    await bob.next(isMessageId("o1"));
    alice.c.send(`<r xmlns='${NS_SM}'/>`);
    expect((await alice.c.next(isSm("a"))).attrs.h).toBe("2");
    bob.close();

    await restart();
    await alice.c.closed;
    const bob2 = await RawXmpp.login(gw!.url, { username: b, resource: "b2" });
    bob2.send(chat(`${aBare}/phone`, "r3", "during the restart, to the full JID"));
    bob2.send(chat(aBare, "r4", "during the restart, to the bare JID"));
    await bob2.nothing((el) => el.getName() === "message", 700);

    const again = await resume(gw!.url, a, alice.id, 2);
    expect(again.answer.getName()).toBe("resumed");
    expect(again.answer.attrs.h).toBe("2"); // presence and o1: nothing the client sent is lost
    await again.c.next(isMessageId("r4"));
    expect(messageIds(again.c)).toEqual(["r2", "r3", "r4"]);
    // The counts go on from there: 3 more were sent, 2 acknowledged before.
    again.c.send(`<a xmlns='${NS_SM}' h='5'/>`);
    again.c.send(`<r xmlns='${NS_SM}'/>`);
    expect((await again.c.next(isSm("a"))).attrs.h).toBe("2");
    again.c.send(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
    bob2.close();
  });

  it("@xmpp/client with @xmpp/stream-management resumes after the restart and gets what was sent meanwhile", { timeout: 120_000 }, async () => {
    gw ??= await startGateway({ persistDir: dir });
    const a = uniqueName("xc-alice");
    const b = uniqueName("xc-bob");
    const aBare = `${a}@localhost`;
    await createUser(aBare, "pw", gw.url);
    await createUser(`${b}@localhost`, "pw", gw.url);
    const xc = client({ service: wsUrl(gw.url, "/xmpp-websocket"), domain: "localhost", username: a, password: "pw", resource: "lib" });
    xc.on("error", () => undefined);
    const received: Element[] = [];
    xc.on("stanza", (el: Element) => void received.push(el));
    let onlineCount = 0;
    xc.on("online", () => void onlineCount++);
    const address = await xc.start();
    await waitUntil(() => xc.streamManagement.enabled && xc.streamManagement.id !== "", 5000);
    const id = xc.streamManagement.id;
    await xc.send(xml("presence"));
    const bob = await RawXmpp.login(gw.url, { username: b, resource: "b" });
    bob.send(chat(address.toString(), "before", "before the restart"));
    await waitUntil(() => received.some((el) => el.attrs.id === "before"), 5000);

    // The deploy: the client's reconnection waits until we send a message meanwhile.
    xc.reconnect.stop();
    await restart();
    const bob2 = await RawXmpp.login(gw!.url, { username: b, resource: "b2" });
    bob2.send(chat(address.toString(), "meanwhile", "sent while alice was away"));
    await bob2.nothing((el) => el.getName() === "message", 500);
    let resumed = false;
    xc.streamManagement.on("resumed", () => void (resumed = true));
    xc.reconnect.start();
    await xc.reconnect.reconnect();
    await waitUntil(() => received.some((el) => el.attrs.id === "meanwhile"), 10_000);
    expect(resumed).toBe(true);
    expect(xc.streamManagement.id).toBe(id);
    expect(onlineCount).toBe(1); // no new login: the session went on
    // Nothing twice: the message counted before the restart is not redelivered.
    expect(received.filter((el) => el.name === "message").map((el) => el.attrs.id)).toEqual(["before", "meanwhile"]);
    xc.reconnect.stop();
    await xc.stop().catch(() => undefined);
    bob2.close();
  });
});

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
