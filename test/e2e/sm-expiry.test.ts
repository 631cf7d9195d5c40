// XEP-0198: what happens when a session does not come back (CONTRACT.md "Sessions that
// survive"): the window passing (stream_management.resume_window = 2 s here) and the
// queue bound (stream_management.max_queue = 5 here). A private gateway with those values.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, startGateway, uniqueName, type Gateway } from "./support/gateway";
import { E2E_CONFIG } from "./support/config";
import { RawXmpp, stanzaError } from "./support/raw-client";
import { NS_DELAY, isPresence } from "./support/im";
import { chat, failedCondition, isMessageId, isStreamError, resume, smLogin } from "./support/sm";

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway({ vars: { XMPP_CONFIG: JSON.stringify({ ...E2E_CONFIG, stream_management: { resume_window: 2, max_queue: 5 } }) } });
}, 90_000);
afterAll(async () => {
  await gw?.stop();
});

async function users(...prefixes: string[]): Promise<string[]> {
  const names = prefixes.map((p) => uniqueName(p));
  for (const n of names) await createUser(`${n}@localhost`, "pw", gw.url);
  return names;
}

describe("the resumption window passes", () => {
  it("unavailable is broadcast, the kept IQ is answered service-unavailable, messages go offline, a later resume fails with h", { timeout: 60_000 }, async () => {
    const [c, d] = await users("exp-carol", "exp-dave");
    const cBare = `${c}@localhost`;
    const dBare = `${d}@localhost`;
    const carol = await smLogin(gw.url, c, "phone", { presence: true });
    expect(carol.enabled.attrs.max).toBe("2");
    const dave = await RawXmpp.login(gw.url, { username: d, resource: "d" });
    dave.send(`<presence xmlns='jabber:client'/>`);
    dave.send(`<presence xmlns='jabber:client' to='${cBare}' type='subscribe'/>`);
    await carol.c.next(isPresence(dBare, "subscribe"));
    carol.c.send(`<presence xmlns='jabber:client' to='${dBare}' type='subscribed'/>`);
    await dave.next(isPresence(`${cBare}/phone`));
    dave.send(chat(`${cBare}/phone`, "x1", "seen, never acknowledged"));
    await carol.c.next(isMessageId("x1"));
    carol.c.terminate();
    await carol.c.closed;
    await new Promise((r) => setTimeout(r, 200));
    dave.send(chat(`${cBare}/phone`, "x2", "kept while detached"));
    dave.send(`<iq xmlns='jabber:client' type='get' id='q1' to='${cBare}/phone'><query xmlns='jabber:iq:version'/></iq>`);
    // Within the window nothing shows.
    await dave.nothing(isPresence(`${cBare}/phone`, "unavailable"), 700);
    // Then: the ordinary disconnect broadcast, and the kept IQ answered.
    await dave.next(isPresence(`${cBare}/phone`, "unavailable"), 15_000);
    const iqErr = await dave.next((el) => el.getName() === "iq" && el.attrs.id === "q1", 5_000);
    expect(iqErr.attrs.type).toBe("error");
    expect(stanzaError(iqErr).condition).toBe("service-unavailable");
    // A late <resume/>: failed, with the count of what the server handled (presence, subscribed).
    const late = await resume(gw.url, c, carol.id, 0);
    expect(late.answer.getName()).toBe("failed");
    expect(failedCondition(late.answer)).toBe("item-not-found");
    expect(late.answer.attrs.h).toBe("2");
    late.c.close();
    // The messages are in offline storage, in order.
    const back = await RawXmpp.login(gw.url, { username: c, resource: "back" });
    back.send(`<presence xmlns='jabber:client'/>`);
    const m1 = await back.next(isMessageId("x1"));
    const m2 = await back.next(isMessageId("x2"));
    expect(m1.getChild("delay", NS_DELAY)).toBeDefined();
    expect(m2.getChild("delay", NS_DELAY)).toBeDefined();
    back.close();
    dave.close();
  });
});

describe("the queue bound", () => {
  it("past max_queue: stream error resource-constraint, every message in offline storage", { timeout: 60_000 }, async () => {
    const [e, f] = await users("q-erin", "q-frank");
    const eBare = `${e}@localhost`;
    const erin = await smLogin(gw.url, e, "phone");
    const frank = await RawXmpp.login(gw.url, { username: f, resource: "f" });
    for (let i = 1; i <= 6; i++) frank.send(chat(`${eBare}/phone`, `q${i}`, `number ${i}`));
    await erin.c.next(isMessageId("q5"));
    const err = await erin.c.next(isStreamError("resource-constraint"));
    expect(err).toBeDefined();
    await erin.c.closed;
    await frank.nothing((el) => el.getName() === "message" && el.attrs.type === "error", 500);
    const back = await RawXmpp.login(gw.url, { username: e, resource: "back" });
    back.send(`<presence xmlns='jabber:client'/>`);
    for (let i = 1; i <= 6; i++) {
      const m = await back.next(isMessageId(`q${i}`));
      expect(m.getChild("delay", NS_DELAY)).toBeDefined();
    }
    back.close();
    frank.close();
  });
});
