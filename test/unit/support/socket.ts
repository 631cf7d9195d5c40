// A minimal RFC 7395 client for tests inside workerd: sockets through the Worker
// (SELF.fetch) or straight to a SessionObject, logins with PLAIN, unique names.
import { expect } from "vitest";
import { SELF, env } from "cloudflare:test";
import { parse, type Element } from "ltx";
import { deriveCredentials } from "../../../src/sasl";

let n = 0;
export const unique = (p: string) => `${p}${Date.now().toString(36)}${n++}`;

export const OPEN = `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>`;
export const plainAuth = (user: string, password: string) =>
  `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${btoa(`\0${user}\0${password}`)}</auth>`;

export interface TestSocket {
  send(s: string): void;
  next(pred?: (el: Element) => boolean, ms?: number): Promise<Element>;
  /** Resolves true when nothing matching arrives within `ms`. */
  nothing(pred: (el: Element) => boolean, ms?: number): Promise<boolean>;
  closed: Promise<void>;
  close(): void;
}

function wrap(ws: WebSocket): TestSocket {
  ws.accept();
  const queue: Element[] = [];
  const waiters: (() => void)[] = [];
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  ws.addEventListener("message", (e) => {
    queue.push(parse(String(e.data)));
    waiters.splice(0).forEach((w) => w());
  });
  ws.addEventListener("close", () => closedResolve());
  const wait = () => new Promise<void>((r) => {
    waiters.push(r);
    setTimeout(r, 50);
  });
  return {
    send: (s: string) => ws.send(s),
    async next(pred = () => true, ms = 3000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = queue.findIndex(pred);
        if (i >= 0) return queue.splice(i, 1)[0]!;
        if (Date.now() > deadline) throw new Error(`timeout; seen: ${queue.map(String).join("\n")}`);
        await wait();
      }
    },
    async nothing(pred, ms = 500) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (queue.some(pred)) return false;
        await wait();
      }
      return !queue.some(pred);
    },
    closed,
    close: () => ws.close(),
  };
}

const UPGRADE = { Upgrade: "websocket", "Sec-WebSocket-Protocol": "xmpp" };

/** A client socket through the Worker; `ip` is sent as CF-Connecting-IP. */
export async function socket(ip?: string): Promise<TestSocket> {
  const headers: Record<string, string> = { ...UPGRADE };
  if (ip) headers["cf-connecting-ip"] = ip;
  const res = await SELF.fetch("http://gw/xmpp-websocket", { headers });
  expect(res.status).toBe(101);
  return wrap(res.webSocket!);
}

/** A client socket straight to a SessionObject the test holds the stub of. */
export async function directSocket(stub: DurableObjectStub, ip?: string): Promise<TestSocket> {
  const headers: Record<string, string> = { ...UPGRADE };
  if (ip) headers["cf-connecting-ip"] = ip;
  const res = await stub.fetch("http://gw/xmpp-websocket", { headers });
  expect(res.status).toBe(101);
  return wrap(res.webSocket!);
}

export async function createAccount(bare: string, password = "pw"): Promise<void> {
  expect(await env.ACCOUNT.getByName(bare).setCredentials(await deriveCredentials(password), true)).toBe("created");
}

/** Opens a stream on `s`, authenticates with PLAIN and restarts it: ready to bind (or resume). */
export async function authenticate(s: TestSocket, user: string, password = "pw"): Promise<void> {
  s.send(OPEN);
  await s.next((e) => e.name === "stream:features");
  s.send(plainAuth(user, password));
  const outcome = await s.next((e) => e.name === "success" || e.name === "failure");
  expect(outcome.name).toBe("success");
  s.send(OPEN);
  await s.next((e) => e.name === "stream:features");
}

/** Opens, authenticates with PLAIN and binds; with `presence`, sends initial presence too. */
export async function login(user: string, resource: string, opts: { password?: string; presence?: boolean } = {}): Promise<{ s: TestSocket; full: string }> {
  const s = await socket();
  await authenticate(s, user, opts.password);
  s.send(`<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  const bound = await s.next((e) => e.attrs.id === "bind");
  const full = bound.getChild("bind")!.getChildText("jid")!;
  if (opts.presence) s.send(`<presence xmlns='jabber:client'/>`);
  return { s, full };
}

/** Polls `f` until it returns true (state written by another object's background work). */
export async function eventually(f: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 20));
  }
}
