// Accounts, rosters, pending subscriptions and offline messages survive a restart of
// `wrangler dev` (same --persist-to directory). References: issue "Limits and bad input"
// (data survives a restart), RFC 6121 §2 (roster), §3.1.3 (a pending request is kept and
// delivered later), XEP-0160 (offline messages).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createUser, startGateway, uniqueName, type Gateway } from "./support/gateway";
import { NS_DELAY, isMessage, isPresence, isPush, online, pushItem, rosterItems, rosterGet, rosterSet } from "./support/im";
import { RawXmpp } from "./support/raw-client";

describe("data survives a gateway restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "xmpp-edge-e2e-persist-"));
  let gw: Gateway | undefined;
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("account, roster (with ask), pending request and offline message", { timeout: 120_000 }, async () => {
    const a = uniqueName("keep-alice");
    const b = uniqueName("keep-bob");
    const aBare = `${a}@localhost`;
    const bBare = `${b}@localhost`;

    gw = await startGateway({ persistDir: dir });
    await createUser(aBare, "alice-pw", gw.url);
    await createUser(bBare, "bob-pw", gw.url);
    const alice = await online(gw.url, a, "r", { password: "alice-pw" });
    await rosterSet(alice, bBare, { name: "Bobby", groups: ["Friends"] });
    await alice.next(isPush(bBare));
    alice.send(`<presence xmlns='jabber:client' to='${bBare}' type='subscribe'/>`);
    await alice.next((el) => isPush(bBare)(el) && pushItem(el).ask === "subscribe");
    alice.send(`<message xmlns='jabber:client' type='chat' to='${bBare}' id='kept'><body>see you after the restart</body></message>`);
    await alice.nothing(isMessage(), 500);
    const ver = (await rosterGet(alice)).getChild("query", "jabber:iq:roster")!.attrs.ver!;
    alice.close();
    await gw.stop();

    gw = await startGateway({ persistDir: dir });
    // The account exists with its password (SCRAM keys kept).
    const res = await fetch(`${gw.url}/admin/users/${aBare}`, { headers: { Authorization: "Bearer e2e-admin-token" } });
    expect(res.status).toBe(200);
    await expect(RawXmpp.login(gw.url, { username: a, password: "wrong" })).rejects.toThrow(/failed/);
    const alice2 = await RawXmpp.login(gw.url, { username: a, password: "alice-pw", resource: "again" });
    const roster = await rosterGet(alice2);
    expect(roster.getChild("query", "jabber:iq:roster")!.attrs.ver).toBe(ver);
    expect(rosterItems(roster)).toEqual([{ jid: bBare, name: "Bobby", subscription: "none", ask: "subscribe", groups: "Friends" }]);
    // Roster versioning still works against the stored version.
    expect((await rosterGet(alice2, ver)).children).toEqual([]);

    // Bob: the offline message and the pending subscription request arrive on initial presence.
    const bob = await RawXmpp.login(gw.url, { username: b, password: "bob-pw", resource: "home" });
    bob.send(`<presence xmlns='jabber:client'/>`);
    const m = await bob.next(isMessage(`${aBare}/r`));
    expect(m.attrs.id).toBe("kept");
    expect(m.getChildText("body")).toBe("see you after the restart");
    expect(m.getChild("delay", NS_DELAY)?.attrs.from).toBe("localhost");
    await bob.next(isPresence(aBare, "subscribe"));
    bob.close();
    alice2.close();
  });

  it("sessions cut by a restart are gone afterwards: no ghost presence, messages are stored", { timeout: 120_000 }, async () => {
    const c = uniqueName("cut-carol");
    const d = uniqueName("cut-dave");
    const cBare = `${c}@localhost`;
    const dBare = `${d}@localhost`;
    gw ??= await startGateway({ persistDir: dir });
    await createUser(cBare, "pw", gw.url);
    await createUser(dBare, "pw", gw.url);
    // Dave is subscribed to Carol's presence; Carol is online when the gateway stops.
    const carol = await online(gw.url, c, "cut");
    const dave = await online(gw.url, d, "d");
    dave.send(`<presence xmlns='jabber:client' to='${cBare}' type='subscribe'/>`);
    await carol.next(isPresence(dBare, "subscribe"));
    carol.send(`<presence xmlns='jabber:client' to='${dBare}' type='subscribed'/>`);
    await dave.next(isPresence(`${cBare}/cut`));
    dave.close();
    await gw.stop();
    await carol.closed;

    gw = await startGateway({ persistDir: dir });
    // Dave's initial presence probes Carol: her cut session must not look online.
    const dave2 = await RawXmpp.login(gw.url, { username: d, resource: "d2" });
    dave2.send(`<presence xmlns='jabber:client'/>`);
    await dave2.nothing(isPresence(`${cBare}/cut`), 1500);
    // A message to Carol's bare JID is kept for her, not lost on the dead session.
    dave2.send(`<message xmlns='jabber:client' type='chat' to='${cBare}' id='after-cut'><body>are you back?</body></message>`);
    await dave2.nothing(isMessage(), 500);
    const carol2 = await RawXmpp.login(gw.url, { username: c, resource: "back" });
    carol2.send(`<presence xmlns='jabber:client'/>`);
    const m = await carol2.next(isMessage(`${dBare}/d2`));
    expect(m.attrs.id).toBe("after-cut");
    expect(m.getChild("delay", NS_DELAY)).toBeDefined();
    carol2.close();
    dave2.close();
  });
});
