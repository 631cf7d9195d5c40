// A connection that never authenticates is closed (RFC 6120 §4.9.3.4 connection-timeout)
// by the session object's timer, set when the socket opens; a bound one is left alone.
// The timer is run here by hand (runTimeout); opening a socket writes nothing to storage.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { type SessionObject } from "../../durable-objects/session";
import { OPEN, authenticate, createAccount, directSocket, unique } from "./support/socket";

const STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

type Timed = { authTimer: unknown; closeUnauthenticated(): Promise<void> };

/** What the timer does when it fires (it is set; runs it now). */
function runTimeout(stub: DurableObjectStub<SessionObject>): Promise<boolean> {
  return runInDurableObject(stub, async (o) => {
    const timed = o as unknown as Timed;
    if (timed.authTimer === null) return false;
    await timed.closeUnauthenticated();
    return true;
  });
}

describe("SessionObject authentication timeout", () => {
  it("sets a timer, not an alarm, when the socket opens: storage is untouched", async () => {
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const s = await directSocket(stub);
    const { alarm, tables, timer } = await runInDurableObject(stub, async (o, state) => ({
      alarm: await state.storage.getAlarm(),
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray().length,
      timer: (o as unknown as Timed).authTimer !== null,
    }));
    expect(alarm).toBeNull();
    expect(tables).toBe(0);
    expect(timer).toBe(true);
    s.close();
  });

  it("closes a stream that opened but never authenticated with connection-timeout", async () => {
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const s = await directSocket(stub);
    s.send(OPEN);
    await s.next((e) => e.name === "stream:features");
    expect(await runTimeout(stub)).toBe(true);
    const err = await s.next((e) => e.name === "stream:error");
    expect(err.getChild("connection-timeout", STREAMS)).toBeTruthy();
    await s.next((e) => e.name === "close");
    await s.closed;
  });

  it("sends the stream header first when the client never sent <open/>", async () => {
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const s = await directSocket(stub);
    expect(await runTimeout(stub)).toBe(true);
    expect((await s.next()).name).toBe("open");
    expect((await s.next()).getChild("connection-timeout", STREAMS)).toBeTruthy();
    await s.closed;
  });

  it("leaves a bound stream open", async () => {
    const user = unique("tmo");
    await createAccount(`${user}@localhost`);
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const s = await directSocket(stub);
    await authenticate(s, user);
    s.send(`<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    await s.next((e) => e.attrs.id === "b");
    // Bound: the timer is gone; run anyway, it leaves the stream alone.
    expect(await runTimeout(stub)).toBe(false);
    await runInDurableObject(stub, (o) => (o as unknown as Timed).closeUnauthenticated());
    expect(await s.nothing((e) => e.name === "stream:error", 300)).toBe(true);
    s.send(`<iq xmlns='jabber:client' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await s.next((e) => e.attrs.id === "p")).attrs.type).toBe("result");
    s.close();
  });
});
