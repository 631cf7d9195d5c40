// The Durable Objects inside the real Workers runtime: a WebSocket session through
// the Worker (SELF.fetch), the account object's RPC surface and its storage.
import { describe, expect, it } from "vitest";
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { parse, type Element } from "ltx";
import { deriveCredentials } from "../../src/sasl";

let n = 0;
const unique = (p: string) => `${p}${Date.now().toString(36)}${n++}`;

/** A minimal RFC 7395 client over a socket from SELF.fetch. */
async function socket(path = "/xmpp-websocket") {
  const res = await SELF.fetch(`http://gw${path}`, { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "xmpp" } });
  expect(res.status).toBe(101);
  expect(res.headers.get("sec-websocket-protocol")).toBe("xmpp");
  const ws = res.webSocket!;
  ws.accept();
  const queue: Element[] = [];
  const waiters: (() => void)[] = [];
  ws.addEventListener("message", (e) => {
    queue.push(parse(String(e.data)));
    waiters.splice(0).forEach((w) => w());
  });
  return {
    send: (s: string) => ws.send(s),
    async next(pred: (el: Element) => boolean = () => true, ms = 3000): Promise<Element> {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = queue.findIndex(pred);
        if (i >= 0) return queue.splice(i, 1)[0]!;
        if (Date.now() > deadline) throw new Error(`timeout; seen: ${queue.map(String).join("\n")}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    close: () => ws.close(),
  };
}

async function login(user: string, password: string, resource: string) {
  const s = await socket();
  s.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`);
  await s.next((e) => e.name === "open");
  await s.next((e) => e.name === "stream:features");
  s.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${btoa(`\0${user}\0${password}`)}</auth>`);
  const outcome = await s.next((e) => e.name === "success" || e.name === "failure");
  if (outcome.name === "failure") return { s, outcome };
  s.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`);
  const features = await s.next((e) => e.name === "stream:features");
  expect(features.getChild("bind", "urn:ietf:params:xml:ns:xmpp-bind")).toBeTruthy();
  s.send(`<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  const bound = await s.next((e) => e.attrs.id === "b1");
  return { s, outcome, jid: bound.getChild("bind")!.getChildText("jid") };
}

describe("SessionObject and AccountObject in workerd", () => {
  it("logs in over a hibernatable socket, stores a message offline and delivers it on initial presence", async () => {
    const user = unique("u");
    await env.ACCOUNT.getByName(`${user}@localhost`).setCredentials(await deriveCredentials("secret"), true);
    const { s, outcome, jid } = await login(user, "secret", "desk");
    expect(outcome.name).toBe("success");
    expect(jid).toBe(`${user}@localhost/desk`);

    // No available resource yet: a chat to the bare JID goes to offline storage (RFC 6121 §8.5.2.1.1).
    s.send(`<message xmlns='jabber:client' to='${user}@localhost' type='chat' id='m1'><body>later</body></message>`);
    await runInDurableObject(env.ACCOUNT.getByName(`${user}@localhost`), async (_obj, state) => {
      for (let i = 0; i < 50; i++) {
        // The table itself appears with the first stored message (tables are made on first use).
        const table = state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'offline'").one();
        const rows = table.n ? state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM offline").one() : { n: 0 };
        if (rows.n === 1) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("message was not stored offline");
    });
    s.send(`<presence xmlns='jabber:client'/>`);
    const msg = await s.next((e) => e.name === "message");
    expect(msg.attrs.from).toBe(`${user}@localhost/desk`);
    expect(msg.getChildText("body")).toBe("later");
    expect(msg.getChild("delay", "urn:xmpp:delay")?.attrs.from).toBe("localhost");
    s.close();
  });

  it("refuses a wrong password with <not-authorized/> and keeps the account", async () => {
    const user = unique("w");
    const account = env.ACCOUNT.getByName(`${user}@localhost`);
    expect(await account.setCredentials(await deriveCredentials("right"), true)).toBe("created");
    const { outcome } = await login(user, "wrong", "r");
    expect(outcome.name).toBe("failure");
    expect(outcome.getChild("not-authorized")).toBeTruthy();
    expect(await account.exists()).toBe(true);
    expect(await account.setCredentials(await deriveCredentials("x"), true)).toBe("exists");
  });

  it("answers roster get with a version and pushes a roster set to the interested resource", async () => {
    const user = unique("r");
    await env.ACCOUNT.getByName(`${user}@localhost`).setCredentials(await deriveCredentials("pw"), true);
    const { s } = await login(user, "pw", "one");
    s.send(`<iq xmlns='jabber:client' type='get' id='g1'><query xmlns='jabber:iq:roster'/></iq>`);
    const roster = await s.next((e) => e.attrs.id === "g1");
    expect(roster.attrs.type).toBe("result");
    expect(roster.getChild("query", "jabber:iq:roster")?.attrs.ver).toBe("0");
    s.send(`<iq xmlns='jabber:client' type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='friend@localhost' name='Friend'><group>Pals</group></item></query></iq>`);
    const push = await s.next((e) => e.attrs.type === "set" && !!e.getChild("query", "jabber:iq:roster"));
    const item = push.getChild("query")!.getChild("item")!;
    expect(push.getChild("query")!.attrs.ver).toBe("1");
    expect(item.attrs).toEqual({ jid: "friend@localhost", name: "Friend", subscription: "none" });
    expect(item.getChildText("group")).toBe("Pals");
    expect((await s.next((e) => e.attrs.id === "s1")).attrs.type).toBe("result");
    // The same version again: an empty result (RFC 6121 §2.6.3).
    s.send(`<iq xmlns='jabber:client' type='get' id='g2'><query xmlns='jabber:iq:roster' ver='1'/></iq>`);
    const same = await s.next((e) => e.attrs.id === "g2");
    expect(same.attrs.type).toBe("result");
    expect(same.children.length).toBe(0);
    s.close();
  });

  it("deleting an account removes every row and its credentials", async () => {
    const bare = `${unique("d")}@localhost`;
    const account = env.ACCOUNT.getByName(bare);
    await account.setCredentials(await deriveCredentials("pw"), true);
    expect(await account.deleteAccount("test")).toBe(true);
    expect(await account.exists()).toBe(false);
    expect(await account.credentials()).toBeNull();
    expect(await account.deleteAccount("again")).toBe(false);
  });
  it("messages to a full JID keep arriving once the sender knows the direct route, and follow a replaced session", async () => {
    const a = unique("da"), b = unique("db");
    for (const u of [a, b]) await env.ACCOUNT.getByName(`${u}@localhost`).setCredentials(await deriveCredentials("pw"), true);
    const alice = (await login(a, "pw", "r")).s;
    const bob1 = (await login(b, "pw", "desk")).s;
    const send = (i: number) => alice.send(`<message xmlns='jabber:client' to='${b}@localhost/desk' type='chat' id='m${i}'><body>${i}</body></message>`);
    // The first goes through bob's account (and teaches alice's side the route); the rest go direct.
    for (let i = 0; i < 3; i++) {
      send(i);
      const m = await bob1.next((e) => e.name === "message" && e.attrs.id === `m${i}`);
      expect(m.attrs.from).toBe(`${a}@localhost/r`);
      expect(m.getChildText("body")).toBe(String(i));
      await new Promise((r) => setTimeout(r, 50));
    }
    // A new session binds the same resource: the old one gets conflict, the route is stale.
    const bob2 = (await login(b, "pw", "desk")).s;
    send(9);
    const m = await bob2.next((e) => e.name === "message" && e.attrs.id === "m9");
    expect(m.getChildText("body")).toBe("9");
    alice.close();
    bob2.close();
  });
});
