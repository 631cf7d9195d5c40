// The fuzzer's minimal XMPP connections over RFC 7395 WebSockets (ws package): a client
// that logs in with SASL PLAIN, a component doing the XEP-0114 handshake, and a raw
// stream that stops right after <open/>. Every received frame is kept as text.
import { createHash } from "node:crypto";
import WebSocket from "ws";

const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

export class Conn {
  /** @param {WebSocket} ws */
  constructor(ws) {
    this.ws = ws;
    /** @type {string[]} */
    this.frames = [];
    /** @type {Array<{ test: (f: string) => boolean, resolve: (f: string) => void }>} */
    this.waiters = [];
    this.onFrame = null; // (frame) => void, for receivers
    this.closed = new Promise((resolve) => ws.on("close", () => resolve(undefined)));
    this.isClosed = false;
    ws.on("close", () => {
      this.isClosed = true;
      for (const w of this.waiters.splice(0)) w.resolve(null);
    });
    ws.on("error", () => undefined);
    ws.on("message", (data) => {
      const f = data.toString();
      // The server's own XEP-0199 ping (sent when it has no proof that the client reads):
      // answered, as a real client does.
      if (this.host && f.startsWith("<iq") && f.includes("urn:xmpp:ping") && / type="get"/.test(f) && f.includes(` from="${this.host}"`)) {
        const id = / id="([^"]*)"/.exec(f)?.[1] ?? "";
        ws.send(`<iq xmlns='jabber:client' type='result' to='${this.host}' id="${id}"/>`);
      }
      if (this.onFrame) return this.onFrame(f);
      const i = this.waiters.findIndex((w) => w.test(f));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(f);
      else this.frames.push(f);
    });
  }

  static open(url) {
    const ws = new WebSocket(url, "xmpp");
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new Conn(ws)));
      ws.once("error", reject);
    });
  }

  send(s) {
    this.ws.send(s);
  }

  /** The next frame matching `re` (or null when the socket closed first or time ran out). */
  next(re, ms = 10_000) {
    const test = (f) => re.test(f);
    const i = this.frames.findIndex(test);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w = { test, resolve: (f) => (clearTimeout(t), resolve(f)) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(null);
      }, ms);
      this.waiters.push(w);
    });
  }

  close() {
    try {
      this.ws.terminate();
    } catch {
      // gone
    }
  }
}

/** A stream opened to `host` and left before authentication. */
export async function preauth(base, host) {
  const c = await Conn.open(`${base.replace(/^http/, "ws")}/xmpp-websocket`);
  c.send(`<open xmlns='${NS_FRAMING}' to='${host}' version='1.0'/>`);
  if (!(await c.next(/<features|<stream:features/))) throw new Error("no stream features");
  return c;
}

/** A logged-in, bound client (SASL PLAIN). */
export async function client(base, host, user, password, resource) {
  const c = await preauth(base, host);
  c.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString("base64")}</auth>`);
  const ok = await c.next(/<success|<failure/);
  if (!ok?.startsWith("<success")) throw new Error(`login of ${user}@${host} failed: ${ok}`);
  c.send(`<open xmlns='${NS_FRAMING}' to='${host}' version='1.0'/>`);
  await c.next(/<features|<stream:features/);
  c.send(`<iq xmlns='jabber:client' type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  const bound = await c.next(/id="bind"/);
  const jid = /<jid>([^<]+)<\/jid>/.exec(bound ?? "")?.[1];
  if (!jid) throw new Error(`bind failed: ${bound}`);
  c.jid = jid;
  c.host = host;
  return c;
}

/** A component past its handshake. */
export async function component(base, jid, secret) {
  const c = await Conn.open(`${base.replace(/^http/, "ws")}/xmpp-component`);
  c.send(`<open xmlns='${NS_FRAMING}' to='${jid}' version='1.0'/>`);
  const open = await c.next(/<open/);
  const id = / id="([^"]+)"/.exec(open ?? "")?.[1];
  if (!id) throw new Error(`no stream id for ${jid}: ${open}`);
  c.send(`<handshake xmlns='jabber:component:accept'>${createHash("sha1").update(id + secret).digest("hex")}</handshake>`);
  const hs = await c.next(/<handshake|<error|<stream:error/);
  if (!hs?.startsWith("<handshake")) throw new Error(`handshake of ${jid} refused: ${hs}`);
  c.jid = jid;
  return c;
}
