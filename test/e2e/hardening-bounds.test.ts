// Issue 14 item 12, the bounds on what one connection or one component may make the
// gateway hold, over real sockets: frames waiting in a connection's queue, delegated
// requests waiting for a component's answers, and the presences a component's mailbox
// remembers (XEP-0356 §7 rule 2). The component rate limit is in gateway-limits.test.ts
// (it needs small limits), the resource cap in hardening-core.test.ts.
// References: RFC 6120 §4.9.3.14 (policy-violation), §8.3.3.12 (resource-constraint),
// §10.1 (in-order processing); XEP-0355 §Stanza forwarding; XEP-0356 §7.
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { RawXmpp, type Element, is, stanzaError, streamCondition } from "./support/raw-client";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes every frame matching `pred` until none arrives for `quietMs`. */
async function drain(c: RawXmpp, pred: (el: Element) => boolean, quietMs: number): Promise<Element[]> {
  const out: Element[] = [];
  for (;;) {
    const el = await c.next(pred, quietMs).catch(() => undefined);
    if (!el) return out;
    out.push(el);
  }
}

describe("frames waiting in one connection (MAX_QUEUED_FRAMES = 256)", () => {
  it("a client that writes faster than its stanzas are handled gets policy-violation; what was queued before is handled in order, nothing after", async () => {
    const [flooder, target, other] = [uniqueName("q-flood"), uniqueName("q-target"), uniqueName("q-other")];
    for (const n of [flooder, target, other]) await createUser(`${n}@localhost`);
    const f = await RawXmpp.login(gatewayUrl(), { username: flooder, resource: "f" });
    const t = await RawXmpp.login(gatewayUrl(), { username: target, resource: "t" });
    // Each message waits for the recipient's account (an RPC), so frames sent in one
    // burst pile up in the sender's queue while the first ones are handled.
    const N = 1500;
    for (let i = 0; i < N; i++) f.send(`<message xmlns='jabber:client' type='chat' to='${t.jid}' id='m${i}'><body>${i}</body></message>`);
    const err = await f.next(is.streamError(), 20_000);
    expect(streamCondition(err)).toBe("policy-violation");
    await f.next(is.close());
    await f.closed;
    // Nothing but the stream error and <close/> came back to the flooder.
    expect(f.pending()).toEqual([]);

    // The recipient got an unbroken prefix: every frame that was queued, in order.
    const got = (await drain(t, is.message(), 1500)).map((m) => m.attrs.id);
    expect(got.length).toBeGreaterThanOrEqual(256);
    expect(got.length).toBeLessThan(N);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `m${i}`));

    // Other sessions kept working, and the flooder may come back.
    const o = await RawXmpp.login(gatewayUrl(), { username: other, resource: "o" });
    o.send(`<message xmlns='jabber:client' type='chat' to='${t.jid}' id='after'><body>still here</body></message>`);
    expect((await t.next(is.message(), 5000)).attrs.id).toBe("after");
    const again = await RawXmpp.login(gatewayUrl(), { username: flooder, resource: "f" });
    again.send(`<message xmlns='jabber:client' type='chat' to='${t.jid}' id='back'><body>calm</body></message>`);
    expect((await t.next(is.message(), 5000)).attrs.id).toBe("back");
    for (const c of [o, again, t]) c.close();
  });
});

describe("delegated requests waiting for one component (MAX_PENDING_DELEGATIONS = 1000)", () => {
  const HOST = "deleg.localhost";
  const COMP = "deleg.comp.localhost";
  const DNS = "urn:xmpp:delegation:2";
  const FWD = "urn:xmpp:forward:0";
  const PUBSUB = "http://jabber.org/protocol/pubsub";
  const isForward = (el: Element) => el.getName() === "iq" && el.attrs.type === "set" && !!el.getChild("delegation", DNS);
  const request = (id: string) => `<iq xmlns='jabber:client' type='get' id='${id}'><pubsub xmlns='${PUBSUB}'><items node='n'/></pubsub></iq>`;
  const answer = (outer: Element) => {
    const inner = outer.getChild("delegation", DNS)!.getChild("forwarded", FWD)!.getChild("iq")!;
    return `<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='result' id='${outer.attrs.id}'>` +
      `<delegation xmlns='${DNS}'><forwarded xmlns='${FWD}'><iq xmlns='jabber:client' type='result' from='${inner.attrs.to}' to='${inner.attrs.from}' id='${inner.attrs.id}'/></forwarded></delegation></iq>`;
  };

  it("a component that stops answering holds at most 1000 at its connection (the fast path); the next gets resource-constraint (wait); its close answers every one", async () => {
    const comp = await RawXmpp.component(gatewayUrl(), COMP, "deleg-secret");
    const names = Array.from({ length: 5 }, () => uniqueName("dl-user"));
    for (const n of names) await createUser(`${n}@${HOST}`);
    const users = await Promise.all(names.map((n) => RawXmpp.login(gatewayUrl(), { username: n, domain: HOST, resource: "r" })));
    // Two answered requests first: the first one teaches the route to the component's
    // connection, so everything after takes the fast path (pending in that object's memory).
    for (const id of ["warm1", "warm2"]) {
      users[0]!.send(request(id));
      comp.send(answer(await comp.next(isForward)));
      expect((await users[0]!.next((el) => el.attrs.id === id)).attrs.type).toBe("result");
      await sleep(200);
    }

    // 1000 requests left unanswered, 200 from each user (under the frame queue bound).
    for (const [u, c] of users.entries()) for (let i = 0; i < 200; i++) c.send(request(`p${u}-${i}`));
    const forwards: Element[] = [];
    while (forwards.length < 1000) forwards.push(await comp.next(isForward, 10_000));
    for (const c of users) expect(c.pending().filter((el) => el.getName() === "iq")).toEqual([]);

    // The 1001st is refused at once, from the address it was sent to, and never forwarded.
    const refused = await users[1]!.iq(request("over"), "over");
    expect(refused.attrs).toMatchObject({ type: "error", from: `${names[1]}@${HOST}`, to: users[1]!.jid });
    expect(stanzaError(refused)).toEqual({ type: "wait", condition: "resource-constraint" });
    await comp.nothing(isForward, 500);

    // One answer frees one place.
    const first = forwards.shift()!;
    const firstId = first.getChild("delegation", DNS)!.getChild("forwarded", FWD)!.getChild("iq")!.attrs.id!;
    comp.send(answer(first));
    const asker = users[Number(/^p(\d)-/.exec(firstId)![1])]!;
    expect((await asker.next((el) => el.attrs.id === firstId)).attrs.type).toBe("result");
    users[2]!.send(request("fits"));
    forwards.push(await comp.next(isForward));

    // The component goes away: each of the 1000 waiting requests gets service-unavailable.
    comp.close();
    const isError = (e: Element) => e.getName() === "iq" && e.attrs.type === "error";
    const errors = () => users.flatMap((c) => c.pending().filter(isError));
    for (let waited = 0; errors().length < 1000 && waited < 10_000; waited += 100) await sleep(100);
    await sleep(300);
    const failed = errors();
    expect(failed.length).toBe(1000);
    for (const el of failed) expect(stanzaError(el)).toEqual({ type: "cancel", condition: "service-unavailable" });
    for (const c of users) c.close();
  }, 60_000);
});

describe("presences a component's mailbox remembers (MAX_COMPONENT_PRESENCES = 10,000)", () => {
  const TARGET = { jid: "presence.comp.localhost", secret: "presence-secret" };
  // Components that send presences from JIDs at their domains (several, so that the
  // mailbox is kept busy: each presence is a row written there).
  const SOURCES = [
    { jid: "echo.comp.localhost", secret: "echo-secret" },
    { jid: "comp.localhost", secret: "comp-secret" },
    { jid: "privnone.comp.localhost", secret: "privnone-secret" },
    { jid: "privro.comp.localhost", secret: "privro-secret" },
  ];
  const MAX = 10_000;
  const isPres = (el: Element) => el.getName() === "presence";

  it("past 10,000 full JIDs a presence is still delivered, not remembered: not de-duplicated, and its unavailable still arrives", async () => {
    const target = await RawXmpp.component(gatewayUrl(), TARGET.jid, TARGET.secret);
    await target.next((el) => el.getName() === "message"); // the XEP-0356 advertisement
    const sources = await Promise.all(SOURCES.map((s) => RawXmpp.component(gatewayUrl(), s.jid, s.secret)));
    const tag = uniqueName("p");
    const from = (s: number, i: number) => `${tag}-${i}@${SOURCES[s]!.jid}/r`;
    const presence = (s: number, i: number, type?: string) =>
      `<presence xmlns='jabber:component:accept' from='${from(s, i)}' to='${TARGET.jid}'${type ? ` type='${type}'` : ""}/>`;

    // 10,000 full JIDs, a quarter from each source, each source keeping at most 200 in
    // flight (under the frame queue bound).
    const per = MAX / SOURCES.length;
    const WINDOW = 200;
    const sent = SOURCES.map(() => 0);
    const top = (s: number, done: number) => {
      while (sent[s]! < per && sent[s]! - done < WINDOW) sources[s]!.send(presence(s, sent[s]!++));
    };
    const done = SOURCES.map(() => 0);
    for (let s = 0; s < SOURCES.length; s++) top(s, 0);
    for (let received = 0; received < MAX; received++) {
      const el = await target.next(isPres, 10_000);
      const s = SOURCES.findIndex((src) => el.attrs.from!.endsWith(`@${src.jid}/r`));
      top(s, ++done[s]!);
    }
    expect(done).toEqual(SOURCES.map(() => per));
    const [a, b] = sources as [RawXmpp, RawXmpp];
    // What `next` returns after `send`: the first presence the target receives.
    const nextAfter = async (c: RawXmpp, ...frames: string[]) => {
      for (const f of frames) c.send(f);
      return target.next(isPres, 5000);
    };

    // A remembered JID's identical presence is not sent again (XEP-0356 §7 rule 2).
    const over = per; // a JID beyond the bound
    let got = await nextAfter(a, presence(0, 0), presence(0, over));
    expect(got.attrs.from).toBe(from(0, over));
    expect(got.attrs.type).toBeUndefined();
    // The 10,001st is delivered but not remembered: its repeat arrives again,
    got = await nextAfter(a, presence(0, over));
    expect(got.attrs.from).toBe(from(0, over));
    // and so does its unavailable (the component must not keep a ghost).
    got = await nextAfter(a, presence(0, over, "unavailable"));
    expect(got.attrs).toMatchObject({ from: from(0, over), type: "unavailable" });

    // A remembered JID's unavailable frees its place: the next new JID is remembered.
    got = await nextAfter(b, presence(1, 0, "unavailable"));
    expect(got.attrs).toMatchObject({ from: from(1, 0), type: "unavailable" });
    got = await nextAfter(b, presence(1, over + 1));
    expect(got.attrs.from).toBe(from(1, over + 1));
    got = await nextAfter(b, presence(1, over + 1), presence(1, over + 2));
    expect(got.attrs.from).toBe(from(1, over + 2));
    await target.nothing(isPres, 300);
    for (const c of [target, ...sources]) c.close();
  }, 60_000);
});
