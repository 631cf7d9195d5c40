// A deliberately dumb XMPP client: RFC 7395 frames over the `ws` package, one ltx
// element per WebSocket message, no XMPP library. Tests use it to send exact bytes
// (including bad ones) and to assert exact answers.
//
// References: RFC 7395 §3 (framing, <open/>/<close/>, restart), RFC 6120 §6 (SASL),
// §7 (resource binding), RFC 5802 §3 / RFC 7677 (SCRAM-SHA-1 / SCRAM-SHA-256), RFC 4616 (PLAIN),
// XEP-0114 §3 (component handshake).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { parse, type Element } from "ltx";
import WebSocket from "ws";
import { wsUrl } from "./url";

/** ws://…/xmpp-websocket (or another path) for a gateway's http:// base URL. */
export const wsUrlFor = wsUrl;

export type { Element };

export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
export const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
export const NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

type Pred = (el: Element) => boolean;

interface Waiter {
  pred: Pred;
  resolve(el: Element): void;
}

/** `<open/>` for RFC 7395 framing. */
export function openFrame(to: string): string {
  return `<open xmlns='${NS_FRAMING}' to='${to}' version='1.0'/>`;
}

/** Escapes text for an XML attribute or text node. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
}

/** Predicates for next(). */
export const is = {
  name: (name: string): Pred => (el) => el.getName() === name,
  open: (): Pred => (el) => el.getName() === "open",
  close: (): Pred => (el) => el.getName() === "close",
  features: (): Pred => (el) => el.getName() === "features",
  streamError: (): Pred => (el) => el.getName() === "error" && el.children.some((c) => typeof c !== "string" && c.attrs.xmlns === NS_STREAMS),
  iq: (id?: string): Pred => (el) => el.getName() === "iq" && (id === undefined || el.attrs.id === id),
  message: (): Pred => (el) => el.getName() === "message",
  presence: (from?: string): Pred => (el) => el.getName() === "presence" && (from === undefined || el.attrs.from === from),
};

/** The defined condition of a stream error or a stanza `<error/>` (first child in the given namespace). */
export function conditionOf(error: Element | undefined, ns: string): string | undefined {
  if (!error) return undefined;
  const c = error.children.find((ch): ch is Element => typeof ch !== "string" && ch.attrs.xmlns === ns && ch.getName() !== "text");
  return c?.getName();
}

/** For `<stream:error>` elements: the condition in urn:ietf:params:xml:ns:xmpp-streams. */
export const streamCondition = (el: Element) => conditionOf(el, NS_STREAMS);
/** For an error stanza: `[type, condition]` of its `<error/>` child. */
export function stanzaError(el: Element): { type: string | undefined; condition: string | undefined } {
  const err = el.getChild("error");
  return { type: err?.attrs.type, condition: conditionOf(err, NS_STANZAS) };
}

// ---------------------------------------------------------------------------
// SCRAM (RFC 5802) client side

type ScramHash = "sha1" | "sha256";

function saslName(s: string): string {
  return s.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** One SCRAM client exchange; the methods take and return the decoded SASL payloads. */
export class ScramClient {
  readonly clientFirstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly hash: ScramHash,
    username: string,
    private readonly password: string,
    readonly cnonce: string = randomBytes(18).toString("base64"),
  ) {
    this.clientFirstBare = `n=${saslName(username)},r=${cnonce}`;
  }

  first(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** client-final-message for a server-first-message. */
  final(serverFirst: string): string {
    const attrs = new Map(serverFirst.split(",").map((kv) => [kv[0]!, kv.slice(2)] as const));
    const nonce = attrs.get("r") ?? "";
    if (!nonce.startsWith(this.cnonce)) throw new Error(`server nonce ${nonce} does not extend ${this.cnonce}`);
    const salt = Buffer.from(attrs.get("s") ?? "", "base64");
    const iterations = Number(attrs.get("i"));
    const len = this.hash === "sha1" ? 20 : 32;
    const salted = pbkdf2Sync(this.password, salt, iterations, len, this.hash);
    const hmac = (key: Buffer, data: string) => createHmac(this.hash, key).update(data).digest();
    const clientKey = hmac(salted, "Client Key");
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xor(clientKey, hmac(storedKey, authMessage));
    this.serverSignature = hmac(hmac(salted, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** Checks the server-final-message `v=...` (RFC 5802 §3: mutual authentication). */
  verify(serverFinal: string): boolean {
    if (!serverFinal.startsWith("v=") || !this.serverSignature) return false;
    const v = Buffer.from(serverFinal.slice(2), "base64");
    return v.length === this.serverSignature.length && timingSafeEqual(v, this.serverSignature);
  }
}

export const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
export const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

// ---------------------------------------------------------------------------

export interface LoginOptions {
  username: string;
  domain?: string;
  password?: string;
  resource?: string;
  mechanism?: string;
  /** Send initial presence `<presence/>` after bind (default false). */
  presence?: boolean;
  /** Answer the server's pings (default true; see RawXmpp.serverPings). */
  answerPings?: boolean;
}

export class RawXmpp {
  /** Every frame received, as text, in order (for failure messages). */
  readonly seen: string[] = [];
  /**
   * The server's own XEP-0199 pings (from the stream's domain): it sends one once 64 KiB
   * are written without proof that the client reads (src/stream/reader-proof.ts). Like a
   * real client, RawXmpp answers them and keeps them out of next(); with `answerPings`
   * false it leaves them unanswered, in next()'s buffer like any frame.
   */
  readonly serverPings: Element[] = [];
  answerPings = true;
  /** The domain the stream was opened to. */
  private domain: string | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly buffer: Element[] = [];
  private waiters: Waiter[] = [];
  private isClosed = false;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on("close", (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString("utf8") });
      });
    });
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? `<binary ${String(data).length}>` : data.toString();
      this.seen.push(text);
      let el: Element;
      try {
        el = parse(text);
      } catch {
        return; // not XML: recorded in `seen` only
      }
      if (this.isServerPing(el)) {
        this.serverPings.push(el);
        if (this.answerPings) {
          ws.send(`<iq xmlns='jabber:client' type='result' to='${esc(this.domain!)}' id='${esc(el.attrs.id ?? "")}'/>`);
          return;
        }
      }
      const w = this.waiters.find((x) => x.pred(el));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(el);
      } else {
        this.buffer.push(el);
      }
    });
    ws.on("error", () => {
      // surfaces as `closed`
    });
  }

  /** Opens a WebSocket (subprotocol `xmpp` unless `protocols` says otherwise). */
  static async open(url: string, protocols: string[] = ["xmpp"]): Promise<RawXmpp> {
    const ws = new WebSocket(url, protocols);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once("error", reject);
    });
    return new RawXmpp(ws);
  }

  send(xml: string): void {
    this.ws.send(xml);
  }

  private isServerPing(el: Element): boolean {
    return this.domain !== undefined && el.getName() === "iq" && el.attrs.type === "get" && el.attrs.from === this.domain && !!el.getChild("ping", "urn:xmpp:ping");
  }

  /** The next frame matching `pred` (frames that arrived earlier and matched nobody count). */
  next(pred: Pred = () => true, timeoutMs = 5000): Promise<Element> {
    const i = this.buffer.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.buffer.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pred,
        resolve: (el) => {
          clearTimeout(timer);
          resolve(el);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms${this.isClosed ? " (socket closed)" : ""}; frames seen:\n${this.seen.slice(-40).join("\n")}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Asserts that no frame matching `pred` arrives within `ms` (and none is buffered). */
  async nothing(pred: Pred = () => true, ms = 500): Promise<void> {
    const got = await this.next(pred, ms).then(
      (el) => el,
      () => undefined,
    );
    if (got) throw new Error(`unexpected frame: ${got.toString()}`);
  }

  /** Frames received and not yet consumed by next(). */
  pending(): Element[] {
    return [...this.buffer];
  }

  /** Closes the socket (WebSocket close, no `<close/>` frame unless sent before). */
  close(): void {
    this.ws.close();
  }

  /** Drops the TCP connection without any closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  /** Sends an IQ and waits for the answer with the same id. */
  async iq(xml: string, id: string, timeoutMs = 5000): Promise<Element> {
    this.send(xml);
    return this.next((el) => el.getName() === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"), timeoutMs);
  }

  /** `<open/>` to `domain`, waits for the answering `<open/>` and `<stream:features/>`. */
  async openStream(domain: string): Promise<{ open: Element; features: Element }> {
    this.domain = domain;
    this.send(openFrame(domain));
    const open = await this.next(is.open());
    const features = await this.next(is.features());
    return { open, features };
  }

  /** SASL authentication with one mechanism; resolves on `<success/>`, rejects on `<failure/>`. */
  async authenticate(mechanism: string, username: string, password: string, domain = "localhost"): Promise<void> {
    const done = (el: Element) => el.attrs.xmlns === NS_SASL && ["success", "failure", "challenge"].includes(el.getName());
    if (mechanism === "PLAIN") {
      this.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${b64(`\0${username}\0${password}`)}</auth>`);
      const r = await this.next(done);
      if (r.getName() !== "success") throw new Error(`PLAIN failed: ${r.toString()}`);
      return;
    }
    const hash: ScramHash | undefined = mechanism === "SCRAM-SHA-1" ? "sha1" : mechanism === "SCRAM-SHA-256" ? "sha256" : undefined;
    if (!hash) throw new Error(`unsupported mechanism ${mechanism} (domain ${domain})`);
    const scram = new ScramClient(hash, username, password);
    this.send(`<auth xmlns='${NS_SASL}' mechanism='${mechanism}'>${b64(scram.first())}</auth>`);
    const challenge = await this.next(done);
    if (challenge.getName() !== "challenge") throw new Error(`${mechanism} failed: ${challenge.toString()}`);
    this.send(`<response xmlns='${NS_SASL}'>${b64(scram.final(unb64(challenge.getText())))}</response>`);
    const result = await this.next(done);
    if (result.getName() !== "success") throw new Error(`${mechanism} failed: ${result.toString()}`);
    if (!scram.verify(unb64(result.getText()))) throw new Error(`${mechanism}: bad server signature in ${result.toString()}`);
  }

  /** Resource binding (RFC 6120 §7); returns the full JID the server assigned. */
  async bind(resource?: string): Promise<string> {
    const id = `bind-${Math.random().toString(36).slice(2)}`;
    const inner = resource === undefined ? "" : `<resource>${esc(resource)}</resource>`;
    const res = await this.iq(`<iq xmlns='jabber:client' type='set' id='${id}'><bind xmlns='${NS_BIND}'>${inner}</bind></iq>`, id);
    const jid = res.getChild("bind", NS_BIND)?.getChildText("jid");
    if (res.attrs.type !== "result" || !jid) throw new Error(`bind failed: ${res.toString()}`);
    return jid;
  }

  /** Full client login: open, SASL, restart, bind, optional initial presence. */
  static async login(base: string, opts: LoginOptions): Promise<RawXmpp & { jid: string }> {
    const domain = opts.domain ?? "localhost";
    const c = await RawXmpp.open(wsUrl(base, "/xmpp-websocket"));
    c.answerPings = opts.answerPings ?? true;
    try {
      await c.openStream(domain);
      await c.authenticate(opts.mechanism ?? "SCRAM-SHA-256", opts.username, opts.password ?? "pw", domain);
      await c.openStream(domain);
      const jid = await c.bind(opts.resource);
      if (opts.presence) c.send(`<presence xmlns='jabber:client'/>`);
      return Object.assign(c, { jid });
    } catch (e) {
      c.close();
      throw e;
    }
  }

  /** A XEP-0114 component over /xmpp-component: open, handshake, `<handshake/>`. */
  static async component(base: string, jid: string, secret: string): Promise<RawXmpp> {
    const c = await RawXmpp.open(wsUrl(base, "/xmpp-component"));
    c.send(openFrame(jid));
    const open = await c.next(is.open());
    const streamId = open.attrs.id;
    if (typeof streamId !== "string") throw new Error(`no stream id in ${open.toString()}`);
    const hex = createHash("sha1").update(streamId + secret).digest("hex");
    c.send(`<handshake xmlns='jabber:component:accept'>${hex}</handshake>`);
    const answer = await c.next((el) => el.getName() === "handshake" || el.getName() === "error");
    if (answer.getName() !== "handshake") {
      c.close();
      throw new Error(`component handshake for ${jid} refused: ${answer.toString()}`);
    }
    return c;
  }
}
