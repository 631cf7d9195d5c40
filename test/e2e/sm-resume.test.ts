// XEP-0198 v1.6 over real sockets, on the shared gateway (resume_window 300 s): the
// feature, enabling (§3), acks both ways (§4), resumption on a new socket (§5) with
// stanzas kept meanwhile, and the failure cases (§5, §6). CONTRACT.md "Sessions that survive".
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { RawXmpp, stanzaError } from "./support/raw-client";
import { NS_CSI, NS_SM, authenticated, chat, failedCondition, isMessageId, isSm, isStreamError, resume, smLogin } from "./support/sm";
import { isPresence } from "./support/im";

async function pair(prefix: string) {
  const a = uniqueName(`${prefix}-a`);
  const b = uniqueName(`${prefix}-b`);
  await createUser(`${a}@localhost`);
  await createUser(`${b}@localhost`);
  return { a, b, aBare: `${a}@localhost`, bBare: `${b}@localhost` };
}

describe("XEP-0198 enabling (§2, §3)", () => {
  it("offers sm and csi after SASL; enable before bind and enable twice fail with unexpected-request", async () => {
    const base = gatewayUrl();
    const { a } = await pair("smen");
    const c = await authenticated(base, a);
    expect(c.features.getChild("sm", NS_SM)).toBeDefined();
    expect(c.features.getChild("csi", NS_CSI)).toBeDefined();
    c.send(`<enable xmlns='${NS_SM}'/>`);
    expect(failedCondition(await c.next(isSm("failed")))).toBe("unexpected-request");
    await c.bind("r1");
    c.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    const enabled = await c.next(isSm("enabled"));
    expect(enabled.attrs.resume).toBe("true");
    expect(enabled.attrs.max).toBe("300");
    expect(enabled.attrs.id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    c.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    expect(failedCondition(await c.next(isSm("failed")))).toBe("unexpected-request");
    // The stream is still up.
    c.send(`<r xmlns='${NS_SM}'/>`);
    expect((await c.next(isSm("a"))).attrs.h).toBe("0");
    c.close();
  });

  it("enable without resume: <enabled/> without id", async () => {
    const { a } = await pair("smnr");
    const c = await authenticated(gatewayUrl(), a);
    await c.bind("r");
    c.send(`<enable xmlns='${NS_SM}'/>`);
    const enabled = await c.next(isSm("enabled"));
    expect(enabled.attrs.id).toBeUndefined();
    expect(enabled.attrs.resume).toBeUndefined();
    c.close();
  });
});

describe("XEP-0198 acks (§4)", () => {
  it("counts the client's stanzas once handled, counts ours, asks on its own, and refuses an h too high", async () => {
    const base = gatewayUrl();
    const { a, b, bBare } = await pair("smack");
    const alice = await smLogin(base, a, "ra");
    const bob = await smLogin(base, b, "rb");
    // Client → server: three stanzas handled, <r/> answered with h=3.
    for (let i = 0; i < 3; i++) alice.c.send(chat(`${bBare}/rb`, `c${i}`, `hi ${i}`));
    alice.c.send(`<r xmlns='${NS_SM}'/>`);
    expect((await alice.c.next(isSm("a"))).attrs.h).toBe("3");
    // Server → client: after 10 unacknowledged stanzas the server asks by itself.
    for (let i = 3; i < 10; i++) alice.c.send(chat(`${bBare}/rb`, `c${i}`, `hi ${i}`));
    await bob.c.next(isMessageId("c9"));
    await bob.c.next(isSm("r"));
    bob.c.send(`<a xmlns='${NS_SM}' h='10'/>`);
    // Acknowledging more than was sent ends the stream (§4 handled-count-too-high).
    bob.c.send(`<a xmlns='${NS_SM}' h='12'/>`);
    const err = await bob.c.next(isStreamError("undefined-condition"));
    const tooHigh = err.getChild("handled-count-too-high", NS_SM)!;
    expect(tooHigh.attrs.h).toBe("12");
    expect(tooHigh.attrs["send-count"]).toBe("10");
    await bob.c.closed;
    alice.c.close();
  });
});

describe("XEP-0198 resumption (§5)", () => {
  it("a socket cut without a close: the resource stays, messages to full and bare JID and an IQ are kept, then redelivered in order", async () => {
    const base = gatewayUrl();
    const { a, b, aBare, bBare } = await pair("smcut");
    const alice = await smLogin(base, a, "phone", { presence: true });
    // Alice's other resource watches her own presence (RFC 6121 §4.5.2: an unavailable would reach it).
    const desk = await RawXmpp.login(base, { username: a, resource: "desk" });
    desk.send(`<presence xmlns='jabber:client'><priority>-1</priority></presence>`);
    await desk.next(isPresence(`${aBare}/desk`));
    const bob = await RawXmpp.login(base, { username: b, resource: "rb" });
    bob.send(chat(`${aBare}/phone`, "m1", "before the cut"));
    await alice.c.next(isMessageId("m1"));
    alice.c.terminate();
    await alice.c.closed;
    await new Promise((r) => setTimeout(r, 300));
    bob.send(chat(`${aBare}/phone`, "m2", "to the full JID"));
    bob.send(chat(aBare, "m3", "to the bare JID"));
    bob.send(`<iq xmlns='jabber:client' type='get' id='v1' to='${aBare}/phone'><query xmlns='jabber:iq:version'/></iq>`);
    await desk.nothing(isPresence(`${aBare}/phone`, "unavailable"), 800);

    const again = await resume(base, a, alice.id, 0);
    expect(again.answer.getName()).toBe("resumed");
    expect(again.answer.attrs.previd).toBe(alice.id);
    expect(again.answer.attrs.h).toBe("1"); // the initial presence
    const order: string[] = [];
    while (!order.includes("iq:v1")) {
      const el = await again.c.next((e) => ["message", "iq", "presence"].includes(e.getName()));
      order.push(`${el.getName()}:${el.attrs.id ?? ""}`);
    }
    // Unacknowledged first (presence of her resources, m1), then what was kept meanwhile, in order.
    expect(order.filter((x) => !x.startsWith("presence"))).toEqual(["message:m1", "message:m2", "message:m3", "iq:v1"]);
    // The client answers the kept IQ on the resumed stream.
    again.c.send(`<iq xmlns='jabber:client' type='result' id='v1' to='${bBare}/rb'><query xmlns='jabber:iq:version'><name>x</name><version>1</version></query></iq>`);
    const result = await bob.next((el) => el.getName() === "iq" && el.attrs.id === "v1");
    expect(result.attrs.type).toBe("result");
    expect(result.attrs.from).toBe(`${aBare}/phone`);
    // The resumed stream is bound: it sends and is counted.
    again.c.send(`<r xmlns='${NS_SM}'/>`);
    expect((await again.c.next(isSm("a"))).attrs.h).toBe("2");
    again.c.send(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
    await desk.next(isPresence(`${aBare}/phone`, "unavailable"));
    bob.close();
    desk.close();
  });

  it("a still-open old socket gets stream error conflict; the acknowledged prefix is not redelivered", async () => {
    const base = gatewayUrl();
    const { a, b, aBare } = await pair("smconf");
    const alice = await smLogin(base, a, "phone");
    const bob = await RawXmpp.login(base, { username: b, resource: "rb" });
    bob.send(chat(`${aBare}/phone`, "k1", "one"));
    bob.send(chat(`${aBare}/phone`, "k2", "two"));
    await alice.c.next(isMessageId("k2"));
    const again = await resume(base, a, alice.id, 1);
    expect(again.answer.getName()).toBe("resumed");
    await alice.c.next(isStreamError("conflict"));
    await alice.c.closed;
    const first = await again.c.next((e) => e.getName() === "message");
    expect(first.attrs.id).toBe("k2");
    await again.c.nothing(isMessageId("k1"), 300);
    again.c.close();
    bob.close();
  });

  it("another account's previd, an unknown id, an h too high", async () => {
    const base = gatewayUrl();
    const { a, b } = await pair("smother");
    const alice = await smLogin(base, a, "phone");
    const mallory = await resume(base, b, alice.id, 0);
    expect(mallory.answer.getName()).toBe("failed");
    expect(failedCondition(mallory.answer)).toBe("item-not-found");
    expect(mallory.answer.attrs.h).toBeUndefined();
    // The failed stream may still bind (§5).
    expect(await mallory.c.bind("m")).toBe(`${b}@localhost/m`);
    mallory.c.close();
    const unknown = await resume(base, a, "AAAAAAAAAAAAAAAAAAAAAA", 0);
    expect(failedCondition(unknown.answer)).toBe("item-not-found");
    unknown.c.close();
    // Alice's session is untouched: she still gets a stanza.
    alice.c.send(`<r xmlns='${NS_SM}'/>`);
    await alice.c.next(isSm("a"));
    alice.c.terminate();
    const tooHigh = await authenticated(base, a);
    tooHigh.send(`<resume xmlns='${NS_SM}' previd='${alice.id}' h='5'/>`);
    const err = await tooHigh.next(isStreamError("undefined-condition"), 10_000);
    expect(err.getChild("handled-count-too-high", NS_SM)?.attrs["send-count"]).toBe("0");
    // Still resumable with a correct h.
    const ok = await resume(base, a, alice.id, 0);
    expect(ok.answer.getName()).toBe("resumed");
    ok.c.close();
  });

  it("an IQ error reply from the server is counted too (stanzas the handlers produce)", async () => {
    const { a } = await pair("smiq");
    const alice = await smLogin(gatewayUrl(), a, "r");
    alice.c.send(`<iq xmlns='jabber:client' type='get' id='p1' to='nobody@localhost/x'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const reply = await alice.c.next((el) => el.getName() === "iq" && el.attrs.id === "p1");
    expect(stanzaError(reply).condition).toBeDefined();
    alice.c.send(`<a xmlns='${NS_SM}' h='2'/>`);
    const err = await alice.c.next(isStreamError("undefined-condition"));
    expect(err.getChild("handled-count-too-high", NS_SM)?.attrs["send-count"]).toBe("1");
  });
});
