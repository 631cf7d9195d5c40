// Issue 14 item 7: a client that does not read what it is sent. workerd has no
// WebSocket.bufferedAmount, so the gateway counts what it wrote since the last proof that
// the client reads (src/stream/reader-proof.ts): an answer to its XEP-0199 ping, or with
// XEP-0198 an <a/>. A ping unanswered for 10 s (with XEP-0198: an <r/> unanswered for
// 10 s while more than 1 MiB is unproven), or more than 8 MiB unproven, ends the stream
// with resource-constraint, and what the client never proved to have read goes where
// RFC 6121 sends it for an unavailable resource: here offline storage, delivered at the
// next login.
// References: XEP-0199 §4.2 (server-to-client ping), RFC 6120 §4.9.3.17
// (resource-constraint), §8.2.3 (an IQ get is always answered), RFC 6121 §8.5.2,
// XEP-0198 §4.
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { RawXmpp, type Element, is, streamCondition } from "./support/raw-client";
import { NS_SM, isSm, resume, smLogin } from "./support/sm";
import { online } from "./support/im";

const MiB = 1024 * 1024;
const ANSWER_WITHIN_MS = 10_000;
const BODY = "x".repeat(8 * 1024);
const PER_SENDER = 40; // 4 senders: 160 messages of ~8.3 KiB, ~1.3 MiB, within each sender's offline share

type Client = RawXmpp & { jid: string };
const isPing = (el: Element) => el.getName() === "iq" && el.attrs.type === "get" && !!el.getChild("ping", "urn:xmpp:ping");
const isChat = (el: Element) => el.getName() === "message" && el.attrs.type === "chat";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Bytes of the frames of one kind a connection received. */
const bytesOf = (c: RawXmpp, prefix: string) => c.seen.filter((t) => t.startsWith(prefix)).reduce((n, t) => n + Buffer.byteLength(t), 0);

async function users(prefix: string, n: number): Promise<string[]> {
  const names = Array.from({ length: n }, () => uniqueName(prefix));
  for (const name of names) await createUser(`${name}@localhost`);
  return names;
}

/** Each sender sends `count` chat messages of 8 KiB to each target's bare JID; the ids sent to each. */
function flood(senders: Client[], targets: string[], round: string, count = PER_SENDER): Map<string, string[]> {
  const ids = new Map(targets.map((t) => [t, [] as string[]]));
  for (let i = 0; i < count; i++) {
    for (const [s, c] of senders.entries()) {
      for (const [t, to] of targets.entries()) {
        const id = `${round}-${t}-${s}-${i}`;
        ids.get(to)!.push(id);
        c.send(`<message xmlns='jabber:client' type='chat' to='${to}@localhost' id='${id}'><body>${BODY}</body></message>`);
      }
    }
  }
  return ids;
}

/** The ids of the next `n` chat messages. */
async function chats(c: RawXmpp, n: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < n) ids.push((await c.next(isChat, 15_000)).attrs.id!);
  return ids;
}

/** Logs in again, sends initial presence, and collects the ids of the chat messages that
 *  arrive (until 2 s pass without one), and how many messages the archive holds (XEP-0313). */
async function offline(name: string): Promise<{ ids: string[]; archived: number }> {
  const again = await online(gatewayUrl(), name, "again", { roster: false });
  const ids: string[] = [];
  for (;;) {
    const el = await again.next(isChat, 2000).catch(() => null);
    if (!el) break;
    ids.push(el.attrs.id!);
  }
  const fin = await again.iq(`<iq xmlns='jabber:client' type='set' id='mam'><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>0</max></set></query></iq>`, "mam");
  const archived = Number(fin.getChild("fin", "urn:xmpp:mam:2")?.getChild("set", "http://jabber.org/protocol/rsm")?.getChildText("count"));
  again.close();
  return { ids, archived };
}

/** A client that acknowledges what it read (XEP-0198 §4): h counts the stanzas received since <enabled/>. */
function acknowledging(c: RawXmpp): void {
  const enabledAt = c.seen.findIndex((t) => t.startsWith("<enabled"));
  c.ws.on("message", (data) => {
    if (!data.toString().startsWith("<r ")) return;
    const h = c.seen.slice(enabledAt + 1).filter((t) => /^<(message|presence|iq)[\s/>]/.test(t)).length;
    c.send(`<a xmlns='${NS_SM}' h='${h}'/>`);
  });
}

async function available(c: Client): Promise<void> {
  c.send(`<presence xmlns='jabber:client'/>`);
  await c.next((el) => el.getName() === "presence" && el.attrs.from === c.jid);
}

describe("a client that does not read (issue 14 item 7)", () => {
  it("the same flood twice, 10 s apart: clients that answer pings or acknowledge survive; those that do neither are cut with resource-constraint and their messages are in offline storage", async () => {
    const senders = await Promise.all((await users("sr-sender", 4)).map((n) => RawXmpp.login(gatewayUrl(), { username: n, resource: "s" })));
    const [deaf, smDeaf, reads, acks] = await users("sr-target", 4) as [string, string, string, string];
    // Without XEP-0198: one that never answers the server's pings, one that does (RawXmpp's default).
    const d = await RawXmpp.login(gatewayUrl(), { username: deaf, resource: "r", answerPings: false });
    const r = await RawXmpp.login(gatewayUrl(), { username: reads, resource: "r" });
    // With XEP-0198: one that never acknowledges, one that does.
    const smClient = async (name: string) => {
      const { c, jid, id } = await smLogin(gatewayUrl(), name, "r");
      return Object.assign(c, { jid, id });
    };
    const sd = await smClient(smDeaf);
    const a = await smClient(acks);
    acknowledging(a);
    for (const c of [d, r, sd, a]) await available(c);
    const targets = [deaf, smDeaf, reads, acks];

    // A first flood of ~1.3 MiB: more than the bound, written to everyone (the questions are young).
    const started = Date.now();
    const first = flood(senders, targets, "one");
    for (const [c, name] of [[d, deaf], [sd, smDeaf], [r, reads], [a, acks]] as const) {
      expect((await chats(c, first.get(name)!.length)).sort()).toEqual([...first.get(name)!].sort());
    }
    // The questions: a ping (after 64 KiB) to the clients without XEP-0198, <r/> to the others.
    const ping = await d.next(isPing);
    expect(ping.attrs).toMatchObject({ type: "get", from: "localhost", to: d.jid });
    expect(ping.attrs.id).toBeTruthy();
    expect(d.serverPings.length).toBe(1); // one at a time: not asked again while unanswered
    expect(r.serverPings.length).toBeGreaterThanOrEqual(1);
    await sd.next(isSm("r"));
    expect(sd.serverPings).toEqual([]);
    for (const c of [d, r, sd, a]) expect(bytesOf(c, "<message")).toBeGreaterThan(MiB);

    // Without XEP-0198: the unanswered ping ends the stream 10 s after it was sent (it was
    // sent after the flood started).
    const err = await d.next(is.streamError(), ANSWER_WITHIN_MS + 5000);
    expect(streamCondition(err)).toBe("resource-constraint");
    expect(Date.now() - started).toBeGreaterThanOrEqual(ANSWER_WITHIN_MS);
    await d.next(is.close());
    await d.closed;
    // With XEP-0198: the <r/> has waited 10 s and more than 1 MiB is unproven; the next
    // stanza ends the stream.
    await sleep(500);
    const second = flood(senders, targets, "two");
    const smErr = await sd.next(is.streamError(), 10_000);
    expect(streamCondition(smErr)).toBe("resource-constraint");
    await sd.next(is.close());
    await sd.closed;
    expect(sd.seen.filter((t) => t.includes('id="two-')).length).toBe(0);
    // The clients that proved they read get everything, and their answers went nowhere:
    // no error back to them, nothing to the senders.
    for (const [c, name] of [[r, reads], [a, acks]] as const) {
      expect((await chats(c, second.get(name)!.length)).sort()).toEqual([...second.get(name)!].sort());
      expect(c.pending().filter((el) => is.streamError()(el) || el.attrs.type === "error")).toEqual([]);
      const pong = await c.iq(`<iq xmlns='jabber:client' type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "alive");
      expect(pong.attrs.type).toBe("result");
    }
    for (const s of senders) await s.nothing(() => true, 200);

    // Every message the cut clients never proved to have read, and every one after, is in
    // offline storage, each once: nothing refused, nothing lost, nothing archived twice.
    for (const name of [deaf, smDeaf]) {
      const all = [...first.get(name)!, ...second.get(name)!];
      const { ids: got, archived } = await offline(name);
      expect({ missing: all.filter((id) => !got.includes(id)), twice: got.filter((id, i) => got.indexOf(id) !== i) }).toEqual({ missing: [], twice: [] });
      expect(got.length).toBe(all.length);
      // Handed on, not received again: each is in the archive once (XEP-0313).
      expect(archived).toBe(all.length);
    }
    // The XEP-0198 session ended as past max_queue: it cannot be resumed.
    const late = await resume(gatewayUrl(), smDeaf, sd.id, 0);
    expect(late.answer.getName()).toBe("failed");
    late.c.close();
    for (const c of [...senders, r, a]) c.close();
  }, 90_000);

  it("past 8 MiB unproven the stream ends at once, whatever the time", async () => {
    const [target, ...names] = await users("sr-hard", 5);
    const senders = await Promise.all(names.map((n) => RawXmpp.login(gatewayUrl(), { username: n, resource: "s" })));
    const d = await RawXmpp.login(gatewayUrl(), { username: target!, resource: "r", answerPings: false });
    await available(d);
    // Directed presence with a 32 KiB status: 4 × 70 of them, ~9 MiB (presences go
    // nowhere else when the resource is gone: nothing to check in offline storage).
    const status = "s".repeat(32 * 1024);
    const started = Date.now();
    for (let i = 0; i < 70; i++) for (const s of senders) s.send(`<presence xmlns='jabber:client' to='${d.jid}' id='p${i}'><status>${status}</status></presence>`);
    const err = await d.next(is.streamError(), 20_000);
    expect(streamCondition(err)).toBe("resource-constraint");
    expect(Date.now() - started).toBeLessThan(ANSWER_WITHIN_MS);
    await d.closed;
    expect(d.serverPings.length).toBe(1);
    const written = bytesOf(d, "<presence");
    expect(written).toBeLessThanOrEqual(8 * MiB);
    expect(written).toBeGreaterThan(8 * MiB - 2 * 33 * 1024);
    for (const s of senders) s.close();
  }, 60_000);
});
