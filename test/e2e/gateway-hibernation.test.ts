// Idle connections hibernate (WebSocket Hibernation API): after an idle period the
// objects are evicted, and the streams must carry on from the state kept in the socket
// attachment and in storage. References: issue "Design" (idle connections hibernate);
// RFC 6121 §8.5.2 (bare-JID routing still uses the stored resources and priorities).
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { isMessage, isPresence, isPush, online, rosterSet } from "./support/im";

describe("streams survive hibernation", () => {
  it("after 16 s of silence, bound sessions still route, push and answer", { timeout: 60_000 }, async () => {
    const a = uniqueName("hib-alice");
    const b = uniqueName("hib-bob");
    await createUser(`${a}@localhost`);
    await createUser(`${b}@localhost`);
    const alice = await online(gatewayUrl(), a, "idle", { priority: 3 });
    const bob = await online(gatewayUrl(), b, "idle");

    await new Promise((r) => setTimeout(r, 16_000));

    bob.send(`<message xmlns='jabber:client' type='chat' to='${a}@localhost' id='wake'><body>still there?</body></message>`);
    const m = await alice.next(isMessage(`${b}@localhost/idle`));
    expect(m.attrs.id).toBe("wake");
    // The roster-interest flag and the bound JID are still known.
    const r = await rosterSet(alice, `${b}@localhost`);
    expect(r.attrs.type).toBe("result");
    const push = await alice.next(isPush(`${b}@localhost`));
    expect(push.attrs.to).toBe(`${a}@localhost/idle`);
    // Directed presence and IQs still work with the stamped full JID.
    alice.send(`<presence xmlns='jabber:client' to='${b}@localhost/idle'/>`);
    const p = await bob.next(isPresence(`${a}@localhost/idle`));
    expect(p.attrs.to).toBe(`${b}@localhost/idle`);
    alice.close();
    bob.close();
  });
});
