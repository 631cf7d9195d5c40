// The TCP bridge (`xmpp-edge bridge`) as a child process between classic XEP-0114
// components on TCP and the gateway's component WebSocket: a real component
// library (@xmpp/component 0.13, TCP) exchanging messages and IQs with a client,
// handshake failures, forged from, replacement, either side closing, raw byte
// streams split anywhere, and a clean shutdown on SIGTERM.
// References: XEP-0114 §3, RFC 6120 §4.4 (closing), §4.9 (stream errors), CONTRACT.md
// "The TCP bridge for existing components".
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import net from "node:net";
import { join } from "node:path";
import { parse, type Element } from "ltx";
import { WebSocketServer, type WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_SECRETS } from "./support/config";
import { REPO_ROOT, createUser, freePort, gatewayUrl, uniqueName, wsUrl } from "./support/gateway";
import { RawXmpp, is, stanzaError } from "./support/raw-client";
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_STANZA_SIZE,
  HANDSHAKE_TIMEOUT_MS,
  startBridge as startBridgeInProcess,
  type RunningBridge,
} from "../../bin/lib/bridge.mjs";

// @xmpp/component ships no types: the little the tests use.
interface XmppComponent {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  send(el: Element): Promise<void>;
  on(event: "stanza", f: (el: Element) => void): void;
  on(event: "error", f: (e: Error & { condition?: string }) => void): void;
  on(event: "status", f: (status: string) => void): void;
  status: string;
  reconnect: { stop(): void };
  iqCaller: { request(el: Element, timeoutMs?: number): Promise<Element> };
  iqCallee: { get(ns: string, name: string, handler: (ctx: { stanza: Element }) => Element | boolean): void };
}
const xmppComponent = createRequire(import.meta.url)("@xmpp/component") as {
  component(o: { service: string; domain: string; password: string }): XmppComponent;
  xml(name: string, attrs?: Record<string, string>, ...children: Array<Element | string>): Element;
};
const { xml } = xmppComponent;

const COMP = "comp.localhost";
const OTHER = "pubsub.localhost";

interface Bridge {
  proc: ChildProcess;
  port: number;
  log: string[];
  exit: Promise<number | null>;
}

/** Starts `xmpp-edge bridge` on a port the OS picks and reads the port from its first log line. */
async function spawnBridge(gateway: string): Promise<Bridge> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, "bin/xmpp-edge.mjs"), "bridge", "--gateway", gateway, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  const exit = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  proc.stderr!.setEncoding("utf8");
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start:\n${log.join("\n")}`)), 10_000);
    let partial = "";
    proc.stderr!.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        log.push(line);
        const m = /^bridge: listening on 127\.0\.0\.1:(\d+), gateway /.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
    });
  });
  return { proc, port, log, exit };
}

let bridge: ChildProcess;
let bridgePort = 0;
let bridgeLog: string[] = [];
let bridgeExit: Promise<number | null>;

async function startBridge(): Promise<void> {
  const b = await spawnBridge(wsUrl(gatewayUrl(), "/xmpp-component"));
  ({ proc: bridge, port: bridgePort, log: bridgeLog, exit: bridgeExit } = b);
}

/** Waits until the bridge logged a line matching `re`. */
async function logLine(re: RegExp, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const line = bridgeLog.find((l) => re.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no bridge log line matching ${re}; log:\n${bridgeLog.join("\n")}`);
}

/** An @xmpp/component instance through the bridge, not started, never reconnecting. */
function tcpComponent(domain = COMP, password = COMPONENT_SECRETS[domain]!) {
  const c = xmppComponent.component({ service: `xmpp://127.0.0.1:${bridgePort}`, domain, password });
  c.reconnect.stop();
  const stanzas: Element[] = [];
  const errors: string[] = [];
  c.on("stanza", (el) => stanzas.push(el));
  c.on("error", (e) => errors.push(e.condition ?? e.message));
  const waitFor = async (pred: (el: Element) => boolean, ms = 5000): Promise<Element> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const found = stanzas.find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no matching stanza within ${ms} ms; got:\n${stanzas.join("\n")}`);
  };
  /** Resolves when the component's TCP connection is gone. */
  const offline = () =>
    new Promise<void>((resolve) => {
      if (c.status === "offline" || c.status === "disconnect") return resolve();
      c.on("status", (s) => {
        if (s === "offline" || s === "disconnect") resolve();
      });
    });
  return { c, stanzas, errors, waitFor, offline };
}

/** A raw TCP connection to the bridge: exact bytes out, everything received as one string. */
class RawTcp {
  received = "";
  readonly closed: Promise<void>;
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (this.received += d));
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }
  static async connect(port: number): Promise<RawTcp> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    return new RawTcp(socket);
  }
  write(s: string): void {
    this.socket.write(s);
  }
  async waitFor(re: RegExp, ms = 5000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const m = re.exec(this.received);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${re} within ${ms} ms; received:\n${this.received}`);
  }
}

const HEADER = (to: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='${to}'>`;

async function user(prefix: string) {
  const name = uniqueName(prefix);
  await createUser(`${name}@localhost`);
  return RawXmpp.login(gatewayUrl(), { username: name, resource: "r" });
}

beforeAll(startBridge);
afterAll(async () => {
  if (bridge.exitCode === null) bridge.kill("SIGKILL");
});

describe("@xmpp/component through the bridge", () => {
  it("connects, and exchanges messages and IQs with a client on /xmpp-websocket", async () => {
    const a = await user("alice");
    const t = tcpComponent();
    t.c.iqCallee.get("urn:xmpp:ping", "ping", () => true);
    await t.c.start();
    expect(t.c.status).toBe("online");
    expect(await logLine(new RegExp(`^bridge: ${COMP} 127\\.0\\.0\\.1:\\d+ ok$`))).toBeTruthy();

    // client → component
    a.send(`<message xmlns='jabber:client' to='bot@${COMP}' id='tcp1' type='chat'><body>over tcp?</body></message>`);
    const got = await t.waitFor((el) => el.name === "message" && el.attrs.id === "tcp1");
    expect(got.attrs).toMatchObject({ from: a.jid, to: `bot@${COMP}`, type: "chat" });
    expect(got.attrs.xmlns).toBeUndefined(); // in the TCP stream's default namespace
    expect(got.getChildText("body")).toBe("over tcp?");

    // component → client
    await t.c.send(xml("message", { to: a.jid, from: `bot@${COMP}`, id: "tcp2" }, xml("body", {}, "yes, over tcp")));
    const back = await a.next(is.message());
    expect(back.attrs).toMatchObject({ from: `bot@${COMP}`, to: a.jid, id: "tcp2" });
    expect(back.getChildText("body")).toBe("yes, over tcp");

    // client → component IQ, answered by the library's IQ callee
    const pong = await a.iq(`<iq xmlns='jabber:client' type='get' id='tcp-ping' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`, "tcp-ping");
    expect(pong.attrs).toMatchObject({ type: "result", from: COMP, to: a.jid });

    // component → client IQ, answered by the client
    const request = t.c.iqCaller.request(xml("iq", { type: "get", to: a.jid, id: "tcp-q" }, xml("query", { xmlns: "jabber:iq:version" })));
    const q = await a.next(is.iq("tcp-q"));
    expect(q.attrs).toMatchObject({ from: COMP, type: "get" });
    a.send(`<iq xmlns='jabber:client' type='result' id='tcp-q' to='${COMP}'><query xmlns='jabber:iq:version'><name>raw</name></query></iq>`);
    const answer = await request;
    expect(answer.getChild("query")?.getChildText("name")).toBe("raw");

    // component → host
    const disco = await t.c.iqCaller.request(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    expect(disco.getChild("query")?.getChild("identity")?.attrs.category).toBe("server");

    await t.c.stop();
    a.close();
  });

  it("a wrong secret fails with not-authorized, and the bridge logs it", async () => {
    const t = tcpComponent(COMP, "wrong-secret");
    const err = await t.c.start().then(
      () => null,
      (e: Error & { condition?: string }) => e,
    );
    expect(err?.condition).toBe("not-authorized");
    await t.offline();
    expect(await logLine(new RegExp(`^bridge: ${COMP} 127\\.0\\.0\\.1:\\d+ not-authorized$`))).toBeTruthy();
    expect(bridgeLog.join("\n")).not.toContain("wrong-secret");
  });

  it("an unknown component fails with host-unknown", async () => {
    const t = tcpComponent("nobody.localhost", "x");
    const err = await t.c.start().then(
      () => null,
      (e: Error & { condition?: string }) => e,
    );
    expect(err?.condition).toBe("host-unknown");
    await t.offline();
    expect(await logLine(/^bridge: nobody\.localhost 127\.0\.0\.1:\d+ host-unknown$/)).toBeTruthy();
  });

  it("a forged from is answered with forbidden and not delivered", async () => {
    const b = await user("bob");
    const t = tcpComponent();
    await t.c.start();
    await t.c.send(xml("message", { from: "admin@localhost", to: b.jid, id: "forged-tcp" }, xml("body", {}, "trust me")));
    const err = await t.waitFor((el) => el.attrs.id === "forged-tcp");
    expect(err.attrs).toMatchObject({ type: "error", from: COMP, to: "admin@localhost" });
    expect(stanzaError(err)).toEqual({ type: "auth", condition: "forbidden" });
    await b.nothing(is.message(), 500);
    await t.c.stop();
    b.close();
  });

  it("talks to another component on the WebSocket", async () => {
    const t = tcpComponent();
    await t.c.start();
    const ws = await RawXmpp.component(gatewayUrl(), OTHER, COMPONENT_SECRETS[OTHER]!);
    await t.c.send(xml("message", { to: OTHER, id: "tcp-c2c" }, xml("body", {}, "hello over there")));
    const got = await ws.next((el) => el.getName() === "message" && el.attrs.id === "tcp-c2c");
    expect(got.attrs.from).toBe(COMP);
    ws.send(`<message from='${OTHER}' to='${COMP}' id='ws-c2c'><body>hello back</body></message>`);
    expect((await t.waitFor((el) => el.attrs.id === "ws-c2c")).getChildText("body")).toBe("hello back");
    ws.send(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
    await ws.closed;
    await t.c.stop();
  });
});

describe("either side closing closes the other", () => {
  it("a new connection for the same JID replaces the TCP one: it gets conflict and is disconnected", async () => {
    const t = tcpComponent();
    await t.c.start();
    const ws = await RawXmpp.component(gatewayUrl(), COMP, COMPONENT_SECRETS[COMP]!);
    await t.offline();
    expect(t.errors).toContain("conflict");
    ws.send(`<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>`);
    await ws.closed;
  });

  it("the TCP component stopping closes its WebSocket: the component is offline right after", async () => {
    const a = await user("alice");
    const t = tcpComponent();
    await t.c.start();
    await t.c.stop();
    const deadline = Date.now() + 3000;
    let condition: string | undefined;
    while (Date.now() < deadline) {
      const id = `after-${Date.now()}`;
      const r = await a.iq(`<iq xmlns='jabber:client' type='get' id='${id}' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`, id);
      condition = stanzaError(r).condition;
      if (condition === "service-unavailable") break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(condition).toBe("service-unavailable");
    a.close();
  });

  it("a TCP connection dropped before its header leaves nothing behind", async () => {
    const raw = await RawTcp.connect(bridgePort);
    raw.write("<?xml version='1.0'?><stream:str");
    raw.socket.destroy();
    await raw.closed;
    expect(await logLine(/^bridge: - 127\.0\.0\.1:\d+ closed$/)).toBeTruthy();
  });
});

describe("raw TCP streams", () => {
  it("handles a stream split across chunks and several stanzas in one chunk", async () => {
    const a = await user("alice");
    const raw = await RawTcp.connect(bridgePort);
    const header = HEADER(COMP);
    raw.write(header.slice(0, 30));
    await new Promise((r) => setTimeout(r, 50));
    raw.write(header.slice(30));
    const [, id] = await raw.waitFor(/<stream:stream [^>]*id="([0-9a-f]+)"[^>]*>/);
    expect(raw.received).toMatch(/^<\?xml version='1.0'\?><stream:stream xmlns:stream="http:\/\/etherx\.jabber\.org\/streams" xmlns="jabber:component:accept" from="comp\.localhost" id="[0-9a-f]+">$/);
    const hex = createHash("sha1").update(id + COMPONENT_SECRETS[COMP]!).digest("hex");
    raw.write(`<handshake>${hex.slice(0, 7)}`);
    await new Promise((r) => setTimeout(r, 50));
    raw.write(`${hex.slice(7)}</handshake>`);
    await raw.waitFor(/<handshake\/>/);
    const burst =
      `<message to='${a.jid}' id='b1'><body>one</body></message> ` +
      `<message to='${a.jid}' id='b2'><body>two &amp; a half</body></message><message to='${a.jid}' id='b3'><bo`;
    raw.write(burst);
    await new Promise((r) => setTimeout(r, 50));
    raw.write(`dy>three</body></message>`);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await a.next(is.message());
      ids.push(`${m.attrs.id}:${m.getChildText("body")}`);
    }
    expect(ids).toEqual(["b1:one", "b2:two & a half", "b3:three"]);

    // A stanza to the component arrives on TCP without the framing namespace.
    a.send(`<message xmlns='jabber:client' to='${COMP}' id='to-raw'><body>plain</body></message>`);
    const [stanza] = await raw.waitFor(/<message [^>]*id="to-raw".*?<\/message>/);
    const el = parse(stanza);
    expect(el.attrs).toEqual({ from: a.jid, to: COMP, id: "to-raw" });
    expect(el.toString()).toBe(`<message to="${COMP}" id="to-raw" from="${a.jid}"><body>plain</body></message>`);

    // Closing the TCP stream: the bridge answers with its closing tag and closes.
    raw.write("</stream:stream>");
    await raw.closed;
    expect(raw.received.endsWith("</stream:stream>")).toBe(true);
    a.close();
  });

  it("a header in the wrong namespace gets a stream header, <invalid-namespace/> and the closing tag", async () => {
    const raw = await RawTcp.connect(bridgePort);
    raw.write(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${COMP}'>`);
    await raw.closed;
    expect(raw.received).toMatch(
      /^<\?xml version='1.0'\?><stream:stream [^>]*xmlns="jabber:component:accept" from="comp\.localhost"><stream:error><invalid-namespace xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>.*<\/stream:error><\/stream:stream>$/,
    );
  });

  it("malformed XML gets <not-well-formed/> and closes", async () => {
    const raw = await RawTcp.connect(bridgePort);
    raw.write(HEADER(COMP));
    await raw.waitFor(/<stream:stream [^>]*id="/);
    raw.write("<handshake>abc</shake>");
    await raw.closed;
    expect(raw.received).toMatch(/<stream:error><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>.*<\/stream:error><\/stream:stream>$/);
  });
});

describe("against a stand-in gateway (WebSocket server in the test)", () => {
  it("relays a burst of 20000 stanzas from TCP in order, one per WebSocket message, and 20000 back", async () => {
    const N = 20000;
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (p) => (p.has("xmpp") ? "xmpp" : false) });
    await new Promise((r) => wss.once("listening", r));
    const frames: string[] = [];
    let gatewaySide: WebSocket | undefined;
    wss.on("connection", (ws) => {
      gatewaySide = ws;
      ws.on("message", (data) => {
        const frame = data.toString();
        if (frame.startsWith("<open")) return ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='${COMP}' id='burst' version='1.0'/>`);
        if (frame.startsWith("<handshake")) return ws.send(`<handshake xmlns='jabber:component:accept'/>`);
        frames.push(frame);
      });
    });
    const { port } = wss.address() as net.AddressInfo;
    const b = await spawnBridge(`ws://127.0.0.1:${port}/xmpp-component`);
    try {
      const raw = await RawTcp.connect(b.port);
      raw.write(HEADER(COMP));
      await raw.waitFor(/id="burst">/);
      raw.write("<handshake>00</handshake>");
      await raw.waitFor(/<handshake\/>/);
      const payload = "p".repeat(200);
      let burst = "";
      for (let i = 0; i < N; i++) burst += `<message to='u@localhost' id='${i}'><body>${payload}</body></message>`;
      raw.write(burst);
      const deadline = Date.now() + 20_000;
      while (frames.length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(frames.length).toBe(N);
      expect(frames.every((f, i) => f === `<message xmlns="jabber:component:accept" to="u@localhost" id="${i}"><body>${payload}</body></message>`)).toBe(true);

      for (let i = 0; i < N; i++) gatewaySide!.send(`<message xmlns='jabber:component:accept' from='u@localhost' to='${COMP}' id='r${i}'/>`);
      const last = new RegExp(`id="r${N - 1}"/>`);
      await raw.waitFor(last, 20_000);
      const ids = [...raw.received.matchAll(/<message from="u@localhost" to="comp\.localhost" id="r(\d+)"\/>/g)].map((m) => Number(m[1]));
      expect(ids.length).toBe(N);
      expect(ids.every((id, i) => id === i)).toBe(true);
      raw.socket.destroy();
    } finally {
      b.proc.kill("SIGTERM");
      await b.exit;
      await new Promise((r) => wss.close(r));
    }
  }, 60_000);
});

describe("before the gateway's <open/> (stand-in gateway)", () => {
  it("the bridge stops reading the component: what it sends waits in TCP, not in the bridge, and all of it follows in order", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (p) => (p.has("xmpp") ? "xmpp" : false) });
    await new Promise((r) => wss.once("listening", r));
    const frames: string[] = [];
    let sendOpen: (() => void) | undefined;
    wss.on("connection", (ws) => {
      ws.on("message", (data) => {
        const frame = data.toString();
        if (frame.startsWith("<open")) {
          sendOpen = () => ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='${COMP}' id='late' version='1.0'/>`);
          return;
        }
        if (frame.startsWith("<handshake")) return ws.send(`<handshake xmlns='jabber:component:accept'/>`);
        frames.push(frame);
      });
    });
    const { port } = wss.address() as net.AddressInfo;
    const b = await spawnBridge(`ws://127.0.0.1:${port}/xmpp-component`);
    try {
      const raw = await RawTcp.connect(b.port);
      raw.write(HEADER(COMP));
      const deadline = Date.now() + 5000;
      while (!sendOpen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(sendOpen).toBeDefined();
      // 16 MiB the gateway is not ready for: without the pause the bridge would read and queue it all.
      const N = 8192;
      const payload = "p".repeat(2000);
      const stanza = (i: number) => `<message to='u@localhost' id='${String(i).padStart(5, "0")}'><body>${payload}</body></message>`;
      // The handshake, then stanzas pipelined behind it (relayed once the handshake is accepted).
      let burst = "<handshake>00</handshake>";
      for (let i = 0; i < N; i++) burst += stanza(i);
      raw.socket.write(burst);
      await new Promise((r) => setTimeout(r, 2000));
      // Kernel buffers hold a few MiB at most; the rest is still in the component's own socket.
      expect(raw.socket.writableLength).toBeGreaterThan(8 * 1024 * 1024);
      expect(frames).toHaveLength(0);
      sendOpen!();
      await raw.waitFor(/id="late">/);
      const until = Date.now() + 30_000;
      while (frames.length < N && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(frames.length).toBe(N);
      expect(frames.every((f, i) => f === `<message xmlns="jabber:component:accept" to="u@localhost" id="${String(i).padStart(5, "0")}"><body>${payload}</body></message>`)).toBe(true);
      expect(raw.socket.writableLength).toBe(0);
      raw.socket.destroy();
    } finally {
      b.proc.kill("SIGTERM");
      await b.exit;
      await new Promise((r) => wss.close(r));
    }
  }, 60_000);
});

describe("an unreachable gateway", () => {
  it("the component gets a header, <remote-connection-failed/> and the closing tag; one log line says why", async () => {
    const dead = await spawnBridge(`ws://127.0.0.1:${await freePort()}/xmpp-component`);
    try {
      const raw = await RawTcp.connect(dead.port);
      raw.write(HEADER(COMP));
      await raw.closed;
      expect(raw.received).toMatch(
        /^<\?xml version='1.0'\?><stream:stream [^>]*from="comp\.localhost"><stream:error><remote-connection-failed xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>.*<\/stream:error><\/stream:stream>$/,
      );
      await new Promise((r) => setTimeout(r, 100));
      const lines = dead.log.filter((l) => l.includes("comp.localhost"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^bridge: comp\.localhost 127\.0\.0\.1:\d+ remote-connection-failed \(.*ECONNREFUSED.*\)$/);
    } finally {
      dead.proc.kill("SIGTERM");
      expect(await dead.exit).toBe(0);
    }
  });
});

describe("shutdown", () => {
  it("SIGTERM ends open connections with system-shutdown and exits 0, with no connection left over", async () => {
    // Closing sockets linger at most 2 s in the bridge; after that, earlier tests must have left nothing.
    await new Promise((r) => setTimeout(r, 2200));
    const t = tcpComponent();
    await t.c.start();
    bridge.kill("SIGTERM");
    expect(await bridgeExit).toBe(0);
    await t.offline();
    expect(t.errors).toContain("system-shutdown");
    // Every earlier test's connection was gone by then: only this one was open.
    expect(bridgeLog, bridgeLog.join("\n")).toContain("bridge: SIGTERM, closing 1 connection(s)");
  });
});

// Issue 14 / CONTRACT.md "The TCP bridge": the gateway's rules and the bridge's bounds,
// in-process against a stand-in gateway that records every frame it is sent.
describe("limits and strictness (in-process bridge, stand-in gateway)", () => {
  async function standIn() {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (p) => (p.has("xmpp") ? "xmpp" : false) });
    await new Promise((r) => wss.once("listening", r));
    const frames: string[] = [];
    wss.on("connection", (ws) => {
      ws.on("message", (data) => {
        const frame = data.toString();
        if (frame.startsWith("<open")) return ws.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='${COMP}' id='s1' version='1.0'/>`);
        if (frame.startsWith("<handshake")) return ws.send(`<handshake xmlns='jabber:component:accept'/>`);
        if (frame.startsWith("<close")) return;
        frames.push(frame);
      });
    });
    const { port } = wss.address() as net.AddressInfo;
    return { url: `ws://127.0.0.1:${port}/xmpp-component`, frames, close: () => new Promise((r) => wss.close(r)) };
  }

  async function withBridge(options: { maxConnections?: number; maxStanzaSize?: number; handshakeTimeoutMs?: number }, body: (port: number, frames: string[], log: string[], b: RunningBridge) => Promise<void>) {
    const gw = await standIn();
    const log: string[] = [];
    const b = await startBridgeInProcess({ gateway: gw.url, host: "127.0.0.1", port: 0, log: (l) => log.push(l), ...options });
    try {
      await body(b.address.port, gw.frames, log, b);
    } finally {
      await b.close();
      await gw.close();
    }
  }

  /** A raw component past its handshake. */
  async function ready(port: number): Promise<RawTcp> {
    const raw = await RawTcp.connect(port);
    raw.write(HEADER(COMP));
    await raw.waitFor(/id="s1">/);
    raw.write("<handshake>00</handshake>");
    await raw.waitFor(/<handshake\/>/);
    return raw;
  }

  const streamError = (condition: string) =>
    new RegExp(`<stream:error><${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>.*</stream:error></stream:stream>$`);

  it("the defaults are those of CONTRACT.md: 30 s handshake, 100 connections, the gateway's 262144-byte stanzas", () => {
    expect(HANDSHAKE_TIMEOUT_MS).toBe(30_000);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(100);
    expect(DEFAULT_MAX_STANZA_SIZE).toBe(262144);
  });

  it("refuses connections beyond --max-connections with resource-constraint, and accepts again once one is gone", async () => {
    await withBridge({ maxConnections: 2 }, async (port, _frames, log, b) => {
      const one = await ready(port);
      const two = await ready(port);
      const three = await RawTcp.connect(port);
      await three.closed;
      expect(three.received).toMatch(/^<\?xml version='1.0'\?><stream:stream [^>]*><stream:error><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>.*<\/stream:error><\/stream:stream>$/);
      expect(log.some((l) => / resource-constraint \(too many connections\)$/.test(l))).toBe(true);
      expect(b.connections()).toBe(2);
      one.write("</stream:stream>");
      await one.closed;
      const deadline = Date.now() + 5000;
      while (b.connections() > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const four = await ready(port);
      expect(b.connections()).toBe(2);
      four.socket.destroy();
      two.socket.destroy();
    });
  });

  it("invalid UTF-8 gets unsupported-encoding (never U+FFFD) and nothing of it is forwarded", async () => {
    await withBridge({}, async (port, frames) => {
      const raw = await ready(port);
      raw.write("<message to='u@localhost' id='ok'/>");
      raw.socket.write(Buffer.concat([Buffer.from("<message to='u@localhost' id='bad'><body>"), Buffer.from([0xc3, 0x28]), Buffer.from("</body></message>")]));
      await raw.closed;
      expect(raw.received).toMatch(streamError("unsupported-encoding"));
      expect(frames).toEqual([`<message xmlns="jabber:component:accept" to="u@localhost" id="ok"/>`]);
    });
  });

  it("a stanza over the maximum size in UTF-8 bytes gets policy-violation before it is forwarded", async () => {
    await withBridge({ maxStanzaSize: 1024 }, async (port, frames) => {
      const raw = await ready(port);
      const fits = `<message to='u@localhost' id='fits'><body>${"é".repeat(400)}</body></message>`; // ~880 bytes
      raw.write(fits);
      raw.write(`<message to='u@localhost' id='big'><body>${"é".repeat(600)}</body></message>`); // 600 characters, 1200+ bytes
      await raw.closed;
      expect(raw.received).toMatch(streamError("policy-violation"));
      expect(frames.map((f) => parse(f).attrs.id)).toEqual(["fits"]);
    });
  });

  it("an element that grows past the maximum is refused while it is still arriving", async () => {
    await withBridge({ maxStanzaSize: 1024 }, async (port, frames) => {
      const raw = await ready(port);
      raw.write(`<message to='u@localhost'><body>${"x".repeat(2000)}`);
      await raw.closed;
      expect(raw.received).toMatch(streamError("policy-violation"));
      expect(frames).toEqual([]);
    });
  });

  it("the header and handshake must fit in a few KiB: a longer header or handshake gets policy-violation", async () => {
    await withBridge({}, async (port, frames) => {
      const a = await RawTcp.connect(port);
      a.write(HEADER(COMP).replace("to=", `x='${"a".repeat(5000)}' to=`));
      await a.closed;
      expect(a.received).toMatch(streamError("policy-violation"));
      const b = await RawTcp.connect(port);
      b.write(HEADER(COMP));
      await b.waitFor(/id="s1">/);
      b.write(`<handshake>${"0".repeat(5000)}`);
      await b.closed;
      expect(b.received).toMatch(streamError("policy-violation"));
      expect(frames).toEqual([]);
    });
  });

  it("a stream without a completed handshake is closed with connection-timeout when the time is up", async () => {
    await withBridge({ handshakeTimeoutMs: 300 }, async (port) => {
      const raw = await RawTcp.connect(port);
      raw.write(HEADER(COMP));
      const started = Date.now();
      await raw.closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(raw.received).toMatch(streamError("connection-timeout"));
    });
  });

  it.each([
    ["a comment", "<!-- hidden --><message to='u@localhost'/>", "restricted-xml"],
    ["a processing instruction", "<message to='u@localhost'><?pi?></message>", "restricted-xml"],
    ["U+0001", "<message to='u@localhost'><body>\u0001</body></message>", "not-well-formed"],
    ["'<' in a name", "<message to='u@localhost'><x<y/></message>", "not-well-formed"],
    ["'>' in an attribute name", "<message to='u@localhost' a>b='1'/>", "not-well-formed"],
    ["an unquoted value", "<message to=bob@localhost/b id='c6'/>", "not-well-formed"],
    ["an undeclared prefix", "<message to='u@localhost'><p:x/></message>", "not-well-formed"],
    ["a duplicate attribute", "<message to='u@localhost' to='v@localhost'/>", "not-well-formed"],
  ])("%s is refused with the gateway's condition, and nothing is forwarded", async (_what, xml, condition) => {
    await withBridge({}, async (port, frames) => {
      const raw = await ready(port);
      raw.write(xml);
      await raw.closed;
      expect(raw.received).toMatch(streamError(condition));
      expect(frames).toEqual([]);
    });
  });
});
