// A connection that never authenticates is closed (RFC 6120 §4.9.3.4 connection-timeout)
// by the session object's alarm, set when the socket opens; a bound one is left alone.
import { describe, expect, it } from "vitest";
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { UNAUTHENTICATED_TIMEOUT_MS } from "../../durable-objects/session";
import { OPEN, createAccount, directSocket, plainAuth, unique } from "./support/socket";

const STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";

describe("SessionObject authentication timeout", () => {
  it("sets an alarm 60 s ahead when the socket opens", async () => {
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const before = Date.now();
    const s = await directSocket(stub);
    const alarm = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + UNAUTHENTICATED_TIMEOUT_MS);
    expect(alarm).toBeLessThanOrEqual(Date.now() + UNAUTHENTICATED_TIMEOUT_MS);
    s.close();
  });

  it("closes a stream that opened but never authenticated with connection-timeout", async () => {
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const s = await directSocket(stub);
    s.send(OPEN);
    await s.next((e) => e.name === "stream:features");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const err = await s.next((e) => e.name === "stream:error");
    expect(err.getChild("connection-timeout", STREAMS)).toBeTruthy();
    await s.next((e) => e.name === "close");
    await s.closed;
  });

  it("sends the stream header first when the client never sent <open/>", async () => {
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const s = await directSocket(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await s.next()).name).toBe("open");
    expect((await s.next()).getChild("connection-timeout", STREAMS)).toBeTruthy();
    await s.closed;
  });

  it("leaves a bound stream open", async () => {
    const user = unique("tmo");
    await createAccount(`${user}@localhost`);
    const stub = env.SESSION.get(env.SESSION.newUniqueId());
    const s = await directSocket(stub);
    s.send(OPEN);
    await s.next((e) => e.name === "stream:features");
    s.send(plainAuth(user, "pw"));
    await s.next((e) => e.name === "success");
    s.send(OPEN);
    await s.next((e) => e.name === "stream:features");
    s.send(`<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    await s.next((e) => e.attrs.id === "b");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await s.nothing((e) => e.name === "stream:error", 300)).toBe(true);
    s.send(`<iq xmlns='jabber:client' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await s.next((e) => e.attrs.id === "p")).attrs.type).toBe("result");
    s.close();
  });
});
