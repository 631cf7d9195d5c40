// A minimal RFC 7395 client and XEP-0114 component for the benchmark, speaking the
// protocol directly over `ws`: no XMPP library and no XML parser on the hot path.
// Incoming frames are matched with string searches; only the stream set-up looks
// inside them. The gateway and the floor are driven through this same code.
//
// References: RFC 7395 §3.3-3.6 (framing), RFC 6120 §6 (SASL), §7 (bind),
// RFC 5802 §3 (SCRAM), RFC 4616 (PLAIN), XEP-0114 (component handshake over RFC 7395).
import WebSocket from "ws";
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";

const FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const BIND = "urn:ietf:params:xml:ns:xmpp-bind";
const SM = "urn:xmpp:sm:3";

export { attr } from "./frame-attr.mjs";
import { attr } from "./frame-attr.mjs";

/** Text between `<tag>` (or `<tag ...>`) and `</tag>`, or null. */
export function childText(frame, tag) {
  let i = frame.indexOf(`<${tag}>`);
  let start;
  if (i >= 0) start = i + tag.length + 2;
  else {
    i = frame.indexOf(`<${tag} `);
    if (i < 0) return null;
    start = frame.indexOf(">", i) + 1;
    if (frame[start - 2] === "/") return "";
  }
  const end = frame.indexOf(`</${tag}>`, start);
  return end < 0 ? null : frame.slice(start, end);
}

export const escapeXml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");

const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s) => Buffer.from(s, "base64").toString("utf8");
const hmac = (key, data) => createHmac("sha1", key).update(data).digest();
const pbkdf2Sha1 = (password, salt, iterations) =>
  new Promise((resolve, reject) => pbkdf2(password, salt, iterations, 20, "sha1", (e, k) => (e ? reject(e) : resolve(k))));

/** Total time spent deriving SCRAM keys in this process (the client's share of SCRAM). */
export const scramClientCost = { ms: 0, count: 0 };

/**
 * WebSocket bases whose server wants every top-level stanza to name its namespace
 * (RFC 7395 §3.3.3: xmlns='jabber:client' on each stanza), e.g. a peer server. The
 * gateway and the floor take unqualified stanzas, and their figures stay comparable.
 */
export const qualifiedBases = new Set();
const STANZA = /^<(iq|message|presence)(?=[\s/>])/;

/** Adds xmlns='jabber:client' to a top-level stanza that has no xmlns of its own. */
export function qualify(frame) {
  const m = STANZA.exec(frame);
  if (!m || /\sxmlns=/.test(frame.slice(0, frame.indexOf(">")))) return frame;
  return `<${m[1]} xmlns='jabber:client'${frame.slice(m[0].length)}`;
}

/** One WebSocket with a frame queue for the set-up and a callback for the hot path. */
class Socket {
  constructor(url) {
    this.url = url;
    this.qualify = [...qualifiedBases].some((base) => url.startsWith(base + "/"));
    this.ws = null;
    this.waiters = [];
    this.queue = [];
    this.onFrame = null; // set by scenarios: called with every frame once set
    this.closed = false;
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, ["xmpp"], { perMessageDeflate: false });
      this.ws = ws;
      ws.on("open", () => resolve());
      ws.on("error", (e) => {
        if (!this.closed) reject(e);
        this.fail(e);
      });
      ws.on("close", () => {
        this.closed = true;
        this.fail(new Error("socket closed"));
      });
      ws.on("message", (data) => {
        const frame = data.toString();
        if (this.smOn && this.smFrame(frame)) return;
        if (this.serverPing(frame)) return;
        if (this.onFrame) return this.onFrame(frame);
        const w = this.waiters.shift();
        if (w) w.resolve(frame);
        else this.queue.push(frame);
      });
    });
  }

  fail(e) {
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  /** A XEP-0199 ping from the client's own server (the gateway sends one when it has no
   *  proof that the client reads): answered as a real client does. True when consumed. */
  serverPing(frame) {
    if (!this.host || !frame.startsWith("<iq") || !frame.includes("urn:xmpp:ping") || attr(frame, "type") !== "get" || attr(frame, "from") !== this.host) return false;
    this.send(`<iq type='result' to='${this.host}' id='${escapeXml(attr(frame, "id") ?? "")}'/>`);
    return true;
  }

  /** XEP-0198 §4 as a real client does it: count stanzas, answer <r/> with <a h/>. True when consumed. */
  smFrame(frame) {
    if (frame.startsWith("<r ") || frame.startsWith("<r/")) {
      this.ws.send(`<a xmlns='${SM}' h='${this.inbound % 4294967296}'/>`);
      return true;
    }
    if (frame.startsWith("<message") || frame.startsWith("<presence") || frame.startsWith("<iq")) this.inbound++;
    return false;
  }

  send(frame) {
    this.ws.send(this.qualify ? qualify(frame) : frame);
  }

  /** The next frame (during set-up only). */
  next(timeoutMs = 20_000) {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const w = { resolve: (f) => (clearTimeout(t), resolve(f)), reject: (e) => (clearTimeout(t), reject(e)) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timeout waiting for a frame from ${this.url}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The next frame that satisfies `pred`; frames before it are dropped. */
  async nextMatching(pred, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.next(Math.max(1, deadline - Date.now()));
      if (pred(f)) return f;
    }
  }

  close() {
    if (this.closed || !this.ws) return;
    try {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(`<close xmlns='${FRAMING}'/>`);
      this.ws.close(1000);
    } catch {
      // already closing
    }
    this.closed = true;
  }

  /** Closes and waits (bounded) for the close handshake. */
  async closeAndWait(timeoutMs = 3000) {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const done = new Promise((r) => ws.once("close", r));
    this.close();
    await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs))]);
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }
}

/**
 * A client connection. `login()` runs open → SASL (SCRAM-SHA-1 when offered and wanted,
 * else PLAIN) → restart → bind; `presence()` sends the initial presence.
 */
export class Client extends Socket {
  constructor(wsBase, { bare, password, resource = "bench", mechanism = "SCRAM-SHA-1", sm = false }) {
    super(`${wsBase}/xmpp-websocket?user=${encodeURIComponent(bare)}`);
    this.bare = bare;
    this.local = bare.slice(0, bare.indexOf("@"));
    this.host = bare.slice(bare.indexOf("@") + 1);
    this.password = password;
    this.resource = resource;
    this.wanted = mechanism;
    this.full = `${bare}/${resource}`;
    this.mechanism = null;
    this.sm = sm; // enable XEP-0198 (with resumption) when the server offers it
    this.smOn = false;
    this.inbound = 0;
  }

  openStream() {
    this.send(`<open xmlns='${FRAMING}' to='${this.host}' version='1.0'/>`);
  }

  async features() {
    const open = await this.next();
    if (!open.startsWith("<open")) throw new Error(`${this.bare}: expected <open/>, got ${open.slice(0, 200)}`);
    const f = await this.next();
    if (!f.includes("features")) throw new Error(`${this.bare}: expected features, got ${f.slice(0, 200)}`);
    return f;
  }

  async login() {
    await this.open();
    this.openStream();
    const f = await this.features();
    if (this.wanted === "SCRAM-SHA-1" && f.includes(">SCRAM-SHA-1<")) await this.scramSha1();
    else if (f.includes(">PLAIN<")) await this.plain();
    else throw new Error(`${this.bare}: no usable SASL mechanism in ${f.slice(0, 300)}`);
    this.openStream(); // RFC 6120 §6.4.6: restart after success
    const f2 = await this.features();
    if (!f2.includes(BIND)) throw new Error(`${this.bare}: no bind feature`);
    this.send(`<iq type='set' id='bind1'><bind xmlns='${BIND}'><resource>${this.resource}</resource></bind></iq>`);
    const r = await this.nextMatching((f) => f.startsWith("<iq") && attr(f, "id") === "bind1");
    const jid = childText(r, "jid");
    if (attr(r, "type") !== "result" || !jid) throw new Error(`${this.bare}: bind failed: ${r.slice(0, 300)}`);
    this.full = jid;
    if (this.sm && f2.includes(SM)) {
      this.send(`<enable xmlns='${SM}' resume='true'/>`);
      const e = await this.nextMatching((f) => f.startsWith("<enabled") || f.startsWith("<failed"));
      if (!e.startsWith("<enabled")) throw new Error(`${this.bare}: SM enable failed: ${e.slice(0, 300)}`);
      this.smOn = true;
    }
  }

  async plain() {
    this.mechanism = "PLAIN";
    this.send(`<auth xmlns='${SASL}' mechanism='PLAIN'>${b64(`\0${this.local}\0${this.password}`)}</auth>`);
    const r = await this.next();
    if (!r.startsWith("<success")) throw new Error(`${this.bare}: PLAIN failed: ${r.slice(0, 300)}`);
  }

  /** RFC 5802 §3 client side, channel binding not used ("n,,"). */
  async scramSha1() {
    this.mechanism = "SCRAM-SHA-1";
    const cnonce = randomBytes(18).toString("base64");
    const clientFirstBare = `n=${this.local.replace(/=/g, "=3D").replace(/,/g, "=2C")},r=${cnonce}`;
    this.send(`<auth xmlns='${SASL}' mechanism='SCRAM-SHA-1'>${b64(`n,,${clientFirstBare}`)}</auth>`);
    const challenge = await this.next();
    if (!challenge.startsWith("<challenge")) throw new Error(`${this.bare}: SCRAM: ${challenge.slice(0, 300)}`);
    const serverFirst = unb64(childText(challenge, "challenge") ?? "");
    const fields = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
    if (!fields.r?.startsWith(cnonce) || !fields.s || !fields.i) throw new Error(`${this.bare}: bad server-first ${serverFirst}`);
    const t0 = performance.now();
    const salted = await pbkdf2Sha1(this.password, Buffer.from(fields.s, "base64"), Number(fields.i));
    scramClientCost.ms += performance.now() - t0;
    scramClientCost.count++;
    const clientKey = hmac(salted, "Client Key");
    const storedKey = createHash("sha1").update(clientKey).digest();
    const finalWithoutProof = `c=biws,r=${fields.r}`;
    const authMessage = `${clientFirstBare},${serverFirst},${finalWithoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
    this.send(`<response xmlns='${SASL}'>${b64(`${finalWithoutProof},p=${proof.toString("base64")}`)}</response>`);
    const r = await this.next();
    if (!r.startsWith("<success")) throw new Error(`${this.bare}: SCRAM failed: ${r.slice(0, 300)}`);
    const expected = hmac(hmac(salted, "Server Key"), authMessage).toString("base64");
    const v = unb64(childText(r, "success") ?? "");
    if (v !== `v=${expected}`) throw new Error(`${this.bare}: SCRAM server signature mismatch`);
  }

  /** Initial presence (RFC 6121 §4.2). */
  presence() {
    this.send("<presence/>");
  }

  /** XEP-0280: carbons for this resource (during set-up, with onFrame unset). */
  async enableCarbons() {
    const saved = this.onFrame;
    this.onFrame = null;
    const id = `carbons-${this.resource}`;
    this.send(`<iq type='set' id='${id}'><enable xmlns='urn:xmpp:carbons:2'/></iq>`);
    const r = await this.nextMatching((f) => f.startsWith("<iq") && attr(f, "id") === id);
    this.onFrame = saved;
    if (attr(r, "type") !== "result") throw new Error(`${this.bare}: carbons enable failed: ${r.slice(0, 300)}`);
  }
}

/** An external component over the component WebSocket (CONTRACT.md "Component sockets"). */
export class Component extends Socket {
  constructor(wsBase, jid, secret) {
    super(`${wsBase}/xmpp-component?user=${encodeURIComponent(jid)}`);
    this.jid = jid;
    this.secret = secret;
  }

  async connect() {
    await this.open();
    this.send(`<open xmlns='${FRAMING}' to='${this.jid}' version='1.0'/>`);
    const open = await this.next();
    const id = attr(open, "id");
    if (!open.startsWith("<open") || !id) throw new Error(`component: expected <open id/>, got ${open.slice(0, 200)}`);
    const hex = createHash("sha1").update(id + this.secret).digest("hex");
    this.send(`<handshake xmlns='jabber:component:accept'>${hex}</handshake>`);
    const r = await this.nextMatching((f) => f.startsWith("<handshake") || f.includes("stream:error") || f.includes("<error"));
    if (!r.startsWith("<handshake")) throw new Error(`component handshake failed: ${r.slice(0, 300)}`);
  }
}
