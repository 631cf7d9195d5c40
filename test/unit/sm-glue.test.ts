// The connection object's side of XEP-0198 over the durable store
// (src/stream-management/stream-glue.ts), inside a Durable Object.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { parse } from "ltx";
import { beforeSend, onSmAlarm, onSmNonza, type SmStreamView } from "../../src/stream-management/stream-glue";
import { SmStore } from "../../src/stream-management/session-store";
import { ACK_REQUEST_EVERY } from "../../src/stream-management/ack-policy";
import { unique } from "./support/socket";

const x = (xml: string) => parse(xml).toString();
const cfg = { resumeWindow: 300, maxQueue: 500 };
const UNEXPECTED = "<failed xmlns='urn:xmpp:sm:3'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>";

async function withStore<T>(f: (store: SmStore) => T | Promise<T>): Promise<T> {
  return runInDurableObject(env.ACCOUNT.getByName(`${unique("glue")}@localhost`), async (_o, state) => f(new SmStore(state.storage.sql)));
}

const boundView = (smId: string | null = null): SmStreamView => ({ account: "alice@localhost", resource: "phone", connection: "conn-1", smId });
const msg = (i: number) => `<message xmlns="jabber:client" to="alice@localhost/phone" id="m${i}"><body>${i}</body></message>`;

describe("SM nonzas on a client stream", () => {
  it("enable with resume: <enabled/> with a fresh id, and a stored resumable session", async () => {
    await withStore((store) => {
      const a = onSmNonza(store, boundView(), parse("<enable xmlns='urn:xmpp:sm:3' resume='true'/>"), cfg, 1);
      expect(a.kind).toBe("reply");
      if (a.kind !== "reply") return;
      const id = a.enabled!.id;
      expect(a.reply.toString()).toBe(x(`<enabled xmlns='urn:xmpp:sm:3' id='${id}' resume='true' max='300'/>`));
      expect(store.get(id)).toMatchObject({ account: "alice@localhost", resource: "phone", connection: "conn-1", resumable: true, resumeWindow: 300, maxQueue: 500 });
    });
  });

  it("enable without resume: a bare <enabled/>, the session still counts", async () => {
    await withStore((store) => {
      const a = onSmNonza(store, boundView(), parse("<enable xmlns='urn:xmpp:sm:3'/>"), cfg, 1);
      if (a.kind !== "reply") throw new Error(a.kind);
      expect(a.reply.toString()).toBe(x("<enabled xmlns='urn:xmpp:sm:3'/>"));
      expect(store.get(a.enabled!.id)).toMatchObject({ resumable: false });
    });
  });

  it("enable before bind or twice: failed unexpected-request, nothing stored", async () => {
    await withStore((store) => {
      const before = onSmNonza(store, { ...boundView(), resource: null }, parse("<enable xmlns='urn:xmpp:sm:3'/>"), cfg, 1);
      expect(before.kind === "reply" && before.reply.toString()).toBe(x(UNEXPECTED));
      expect(before.kind === "reply" && before.enabled).toBeUndefined();
      const twice = onSmNonza(store, boundView("already"), parse("<enable xmlns='urn:xmpp:sm:3' resume='true'/>"), cfg, 1);
      expect(twice.kind === "reply" && twice.reply.toString()).toBe(x(UNEXPECTED));
    });
  });

  it("<r/> is answered with the handled count; <r/> before enable is unexpected-request", async () => {
    await withStore((store) => {
      expect(onSmNonza(store, boundView(), parse("<r xmlns='urn:xmpp:sm:3'/>"), cfg, 1)).toEqual({ kind: "reply", reply: parse(UNEXPECTED) });
      const s = store.create({ account: "alice@localhost", resource: "phone", connection: "conn-1", resumable: true, resumeWindow: 300, maxQueue: 500 });
      store.handled(s.id);
      store.handled(s.id);
      const a = onSmNonza(store, boundView(s.id), parse("<r xmlns='urn:xmpp:sm:3'/>"), cfg, 1);
      expect(a.kind === "reply" && a.reply.toString()).toBe(x("<a xmlns='urn:xmpp:sm:3' h='2'/>"));
    });
  });

  it("<a h/> releases; too high ends the stream with handled-count-too-high; malformed with bad-format", async () => {
    await withStore((store) => {
      const s = store.create({ account: "alice@localhost", resource: "phone", connection: "conn-1", resumable: false, resumeWindow: 300, maxQueue: 500 });
      for (let i = 1; i <= 3; i++) expect(beforeSend(store, s.id, msg(i), 1).kind).toBe("send");
      expect(onSmNonza(store, boundView(s.id), parse("<a xmlns='urn:xmpp:sm:3' h='2'/>"), cfg, 2)).toEqual({ kind: "none", acked: { h: 2, sent: 3 } });
      expect(store.queue(s.id)).toEqual([msg(3)]);
      const high = onSmNonza(store, boundView(s.id), parse("<a xmlns='urn:xmpp:sm:3' h='10'/>"), cfg, 3);
      expect(high.kind === "close" && high.error.toString()).toBe(x(
        "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
          "<handled-count-too-high xmlns='urn:xmpp:sm:3' h='10' send-count='3'/></stream:error>",
      ));
      const bad = onSmNonza(store, boundView(s.id), parse("<a xmlns='urn:xmpp:sm:3' h='x'/>"), cfg, 3);
      expect(bad.kind === "close" && bad.error.getChild("bad-format", "urn:ietf:params:xml:ns:xmpp-streams")).toBeTruthy();
    });
  });

  it("<resume/> before bind asks the account; after bind or malformed it fails", async () => {
    await withStore((store) => {
      const pre: SmStreamView = { ...boundView(), resource: null };
      expect(onSmNonza(store, pre, parse("<resume xmlns='urn:xmpp:sm:3' previd='abc' h='4'/>"), cfg, 1)).toEqual({ kind: "resume", previd: "abc", h: 4 });
      const after = onSmNonza(store, boundView(), parse("<resume xmlns='urn:xmpp:sm:3' previd='abc' h='4'/>"), cfg, 1);
      expect(after.kind === "reply" && after.reply.toString()).toBe(x(UNEXPECTED));
      const bad = onSmNonza(store, pre, parse("<resume xmlns='urn:xmpp:sm:3' previd='abc'/>"), cfg, 1);
      expect(bad.kind === "reply" && bad.reply.toString()).toBe(x("<failed xmlns='urn:xmpp:sm:3'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"));
    });
  });

  it("a server-side element from the client ends the stream with unsupported-stanza-type", async () => {
    await withStore((store) => {
      const a = onSmNonza(store, boundView(), parse("<enabled xmlns='urn:xmpp:sm:3'/>"), cfg, 1);
      expect(a.kind === "close" && a.error.getChild("unsupported-stanza-type", "urn:ietf:params:xml:ns:xmpp-streams")).toBeTruthy();
    });
  });
});

describe("before a stanza goes to the socket", () => {
  it(`keeps it, and asks for an ack once ${ACK_REQUEST_EVERY} wait (then not again until answered)`, async () => {
    await withStore((store) => {
      const s = store.create({ account: "alice@localhost", resource: "phone", connection: "conn-1", resumable: true, resumeWindow: 300, maxQueue: 500 });
      const asked: number[] = [];
      for (let i = 1; i <= ACK_REQUEST_EVERY * 2; i++) {
        const a = beforeSend(store, s.id, msg(i), 1000);
        if (a.kind === "send" && a.requestAck) {
          expect(a.requestAck.toString()).toBe(x("<r xmlns='urn:xmpp:sm:3'/>"));
          asked.push(i);
        }
      }
      expect(asked).toEqual([ACK_REQUEST_EVERY]);
      expect(store.queue(s.id)).toHaveLength(ACK_REQUEST_EVERY * 2);
      store.ack(s.id, ACK_REQUEST_EVERY * 2);
      const next = [];
      for (let i = 1; i <= ACK_REQUEST_EVERY; i++) next.push(beforeSend(store, s.id, msg(100 + i), 2000));
      expect(next.filter((a) => a.kind === "send" && a.requestAck !== null)).toHaveLength(1);
    });
  });

  it("past max_queue: resource-constraint, and the stanza is not kept", async () => {
    await withStore((store) => {
      const s = store.create({ account: "alice@localhost", resource: "phone", connection: "conn-1", resumable: true, resumeWindow: 300, maxQueue: 2 });
      expect(beforeSend(store, s.id, msg(1), 1).kind).toBe("send");
      expect(beforeSend(store, s.id, msg(2), 1).kind).toBe("send");
      const a = beforeSend(store, s.id, msg(3), 1);
      expect(a.kind === "overflow" && a.error.toString()).toBe(x(
        "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
          "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too many unacknowledged stanzas</text></stream:error>",
      ));
      expect(store.queue(s.id)).toEqual([msg(1), msg(2)]);
    });
  });
});

describe("the connection object's alarm", () => {
  const make = (store: SmStore, over: Partial<{ resumable: boolean; resumeWindow: number }> = {}) =>
    store.create({ account: "alice@localhost", resource: "phone", connection: "conn-1", resumable: true, resumeWindow: 300, maxQueue: 500, ...over });

  it("with the socket there: asks for an ack once the oldest stanza waited 30 s, and says when to look again", async () => {
    await withStore((store) => {
      const s = make(store);
      beforeSend(store, s.id, msg(1), 1000);
      expect(onSmAlarm(store, s.id, true, 2000)).toEqual({ requestAck: null, detached: false, expired: [], next: 31_000 });
      const a = onSmAlarm(store, s.id, true, 31_000);
      expect(a.requestAck?.toString()).toBe(x("<r xmlns='urn:xmpp:sm:3'/>"));
      expect(a).toMatchObject({ detached: false, expired: [], next: 61_000 });
      expect(store.get(s.id)).toMatchObject({ requestedAt: 31_000, detachedSince: null });
    });
  });

  it("without a socket (a restart gave no event): detaches a resumable session and sets the alarm at its expiry", async () => {
    await withStore((store) => {
      const s = make(store, { resumeWindow: 60 });
      beforeSend(store, s.id, msg(1), 1000);
      expect(onSmAlarm(store, s.id, false, 31_000)).toEqual({ requestAck: null, detached: true, expired: [], next: 91_000 });
      expect(store.get(s.id)!.detachedSince).toBe(31_000);
      // At the deadline: due for the caller to end (docs/stream-management.md §4.6), nothing later.
      expect(onSmAlarm(store, s.id, false, 91_000)).toEqual({ requestAck: null, detached: false, expired: [s.id], next: null });
      expect(store.get(s.id)).not.toBeNull();
    });
  });

  it("the next deadline skips the sessions due now", async () => {
    await withStore((store) => {
      const a = make(store, { resumeWindow: 10 });
      const b = make(store, { resumeWindow: 100 });
      store.detach(a.id, 0);
      store.detach(b.id, 0);
      expect(onSmAlarm(store, null, false, 10_000)).toEqual({ requestAck: null, detached: false, expired: [a.id], next: 100_000 });
    });
  });
});
