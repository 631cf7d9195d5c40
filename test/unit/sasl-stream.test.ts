// SASL on a client stream (RFC 6120 §6): unknown accounts look like real ones (the fake
// SCRAM salt is keyed by a random server secret), retries are limited per stream
// (§6.4.5), and the failure delay is capped.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { parse } from "ltx";
import { fakeCredential, utf8ToBase64, base64ToUtf8 } from "../../src/sasl";
import { MAX_FAILURE_DELAY_MS, MAX_SASL_FAILURES, throttleDelayMs } from "../../src/stream/sasl-exchange";
import { SERVER_SECRET_OBJECT } from "../../src/stream/server-secret";
import { OPEN, createAccount, plainAuth, socket, unique } from "./support/socket";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const freshIp = () => `2001:db8::${crypto.randomUUID().slice(0, 8)}`;

async function scramSalt(user: string, mechanism: "SCRAM-SHA-1" | "SCRAM-SHA-256"): Promise<string> {
  const s = await socket(freshIp());
  s.send(OPEN);
  await s.next((e) => e.name === "stream:features");
  s.send(`<auth xmlns='${SASL}' mechanism='${mechanism}'>${utf8ToBase64(`n,,n=${user},r=clientnonce123`)}</auth>`);
  const challenge = await s.next((e) => e.name === "challenge");
  s.close();
  const fields = Object.fromEntries(base64ToUtf8(challenge.getText())!.split(",").map((f) => [f[0], f.slice(2)]));
  return fields.s!;
}

describe("the server secret", () => {
  it("is 32 random bytes, made once and then always the same", async () => {
    const stub = env.THROTTLE.getByName(SERVER_SECRET_OBJECT);
    const a = await stub.serverSecret();
    expect(atob(a).length).toBe(32);
    expect(await stub.serverSecret()).toBe(a);
  });
});

describe("SCRAM for an unknown account", () => {
  it("answers with a salt keyed by the server secret, not by public data", async () => {
    const user = unique("nobody");
    const bare = `${user}@localhost`;
    const secret = await env.THROTTLE.getByName(SERVER_SECRET_OBJECT).serverSecret();
    for (const [mechanism, hash] of [["SCRAM-SHA-1", "SHA-1"], ["SCRAM-SHA-256", "SHA-256"]] as const) {
      const salt = await scramSalt(user, mechanism);
      expect(salt).toBe((await fakeCredential(hash, bare, secret)).salt);
      // The old key, made of the host list and a constant, anyone could recompute.
      expect(salt).not.toBe((await fakeCredential(hash, bare, "localhost,reg.localhost/xmpp-edge-fake-salt")).salt);
      expect(salt).not.toBe((await fakeCredential(hash, bare, "localhost/xmpp-edge-fake-salt")).salt);
      // Stable, as a real account's salt would be.
      expect(await scramSalt(user, mechanism)).toBe(salt);
    }
  });
});

describe("failed authentication on one stream", () => {
  it(`closes the stream with policy-violation after ${MAX_SASL_FAILURES} failures`, async () => {
    const user = unique("guess");
    await createAccount(`${user}@localhost`, "right");
    const s = await socket(freshIp());
    s.send(OPEN);
    await s.next((e) => e.name === "stream:features");
    for (let i = 1; i <= MAX_SASL_FAILURES; i++) {
      // Malformed attempts count too, and they are not delayed.
      s.send(i % 2 ? `<auth xmlns='${SASL}' mechanism='PLAIN'>${btoa("no-nul-separators")}</auth>` : `<auth xmlns='${SASL}' mechanism='X-NONE'/>`);
      const f = await s.next((e) => e.name === "failure");
      expect(f.getChildElements()[0]!.name).toBe(i % 2 ? "malformed-request" : "invalid-mechanism");
    }
    const err = await s.next((e) => e.name === "stream:error");
    expect(err.getChild("policy-violation", "urn:ietf:params:xml:ns:xmpp-streams")).toBeTruthy();
    await s.next((e) => e.name === "close");
    await s.closed;
  });

  it("four failures leave the stream open and the right password still works", async () => {
    const user = unique("retry");
    await createAccount(`${user}@localhost`, "right");
    const s = await socket(freshIp());
    s.send(OPEN);
    await s.next((e) => e.name === "stream:features");
    for (let i = 1; i < MAX_SASL_FAILURES; i++) {
      s.send(`<auth xmlns='${SASL}' mechanism='X-NONE'/>`);
      await s.next((e) => e.name === "failure");
    }
    s.send(plainAuth(user, "right"));
    expect((await s.next((e) => e.name === "success" || e.name === "failure" || e.name === "stream:error")).name).toBe("success");
    s.close();
  });

  it("PLAIN for an unknown account fails like a wrong password", async () => {
    const s = await socket(freshIp());
    s.send(OPEN);
    await s.next((e) => e.name === "stream:features");
    s.send(plainAuth(unique("ghost"), "whatever"));
    const f = await s.next((e) => e.name === "failure");
    expect(f.toString()).toBe(parse(`<failure xmlns='${SASL}'><not-authorized/></failure>`).toString());
    s.close();
  });
});

describe("throttleDelayMs", () => {
  it("is 0 below the threshold, doubles from 1 s and never exceeds 5 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => throttleDelayMs(n, 3))).toEqual([0, 0, 0, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(MAX_FAILURE_DELAY_MS).toBe(5000);
  });
});
