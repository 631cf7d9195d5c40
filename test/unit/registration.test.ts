// XEP-0077 registration before authentication is rate limited: by the connection's
// token bucket, and by a per-address budget of account creations; a taken name is
// refused before any key derivation and does not use up the budget.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { parse, type Element } from "ltx";
import { loadConfig, type GatewayConfig, type HostConfig } from "../../src/config";
import type { Connection } from "../../src/stream/connection";
import type { ClientState } from "../../src/stream/client-state";
import { onClientFrame } from "../../src/stream/client-stream";
import { MAX_REGISTRATIONS_PER_WINDOW, handleRegistrationIq } from "../../src/registration/registration";
import { createAccount, unique } from "./support/socket";
import { testPorts, testServices } from "./support/services";

const REG = "jabber:iq:register";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

function baseConfig(): GatewayConfig {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.config;
}

const registrationHost = (): HostConfig => ({ ...baseConfig().hosts.localhost!, registration: true });

const registerIq = (username: string, id = "r1") =>
  parse(`<iq xmlns='jabber:client' type='set' id='${id}'><query xmlns='${REG}'><username>${username}</username><password>pw</password></query></iq>`);

const condition = (el: Element) => el.getChild("error")?.getChildElements().find((c) => c.attrs.xmlns === STANZAS)?.name;

describe("registration budget per client address", () => {
  it(`creates ${MAX_REGISTRATIONS_PER_WINDOW} accounts from one address, then answers policy-violation`, async () => {
    const host = registrationHost();
    const ip = `2001:db8::${crypto.randomUUID().slice(0, 8)}`;
    const names = Array.from({ length: MAX_REGISTRATIONS_PER_WINDOW + 1 }, () => unique("ibr"));
    for (const name of names.slice(0, MAX_REGISTRATIONS_PER_WINDOW)) {
      expect((await handleRegistrationIq(testPorts(env), host, registerIq(name), null, ip)).attrs.type).toBe("result");
    }
    const refused = await handleRegistrationIq(testPorts(env), host, registerIq(names.at(-1)!), null, ip);
    expect(refused.attrs.type).toBe("error");
    expect(condition(refused)).toBe("policy-violation");
    expect(await env.ACCOUNT.getByName(`${names.at(-1)}@localhost`).exists()).toBe(false);
    // Another address still has its budget.
    expect((await handleRegistrationIq(testPorts(env), host, registerIq(names.at(-1)!), null, `${ip}:1`)).attrs.type).toBe("result");
  });

  it("a taken name gets conflict without using the budget", async () => {
    const host = registrationHost();
    const ip = `2001:db8::${crypto.randomUUID().slice(0, 8)}`;
    const taken = unique("taken");
    await createAccount(`${taken}@localhost`, "original");
    for (let i = 0; i < MAX_REGISTRATIONS_PER_WINDOW + 2; i++) {
      expect(condition(await handleRegistrationIq(testPorts(env), host, registerIq(taken), null, ip))).toBe("conflict");
    }
    expect((await handleRegistrationIq(testPorts(env), host, registerIq(unique("free")), null, ip)).attrs.type).toBe("result");
  });
});

describe("the connection's rate limit before authentication", () => {
  it("answers registration IQs with policy-violation when the bucket is empty", async () => {
    const base = baseConfig();
    const config: GatewayConfig = { ...base, hosts: Object.assign(Object.create(null), base.hosts, { localhost: registrationHost() }) };
    const sent: string[] = [];
    let tokens = 1;
    const conn: Connection<ClientState> = {
      services: testServices(config, env), config, secrets: { component: () => undefined }, sessionId: "test", remoteAddress: `2001:db8::${crypto.randomUUID().slice(0, 8)}`,
      state: { kind: "client", phase: "sasl", host: "localhost", streamId: "s1" },
      save() {},
      send(el) { sent.push(String(el)); },
      async close() { sent.push("closed"); },
      allowStanza: () => tokens-- > 0,
      waitUntil() {},
    };
    const name = unique("flood");
    await onClientFrame(conn, registerIq(name, "a").toString());
    expect(parse(sent[0]!).attrs.type).toBe("result");
    await onClientFrame(conn, registerIq(unique("flood"), "b").toString());
    const limited = parse(sent[1]!);
    expect(limited.attrs).toMatchObject({ type: "error", id: "b", from: "localhost" });
    expect(condition(limited)).toBe("policy-violation");
    expect(sent.length).toBe(2);
  });
});
