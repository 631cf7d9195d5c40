// The TCP bridge: classic XEP-0114 components connect over TCP, and each
// connection is relayed to one component WebSocket on the gateway.
//
// The gateway chooses the stream id and checks the handshake; the bridge only
// passes the id on in its own stream header, so it never needs a secret.
//
//   component (TCP)                   bridge                     gateway (WebSocket)
//   <stream:stream to=JID>       →                         →  <open to=JID/>
//                                ←  <stream:stream id=ID>  ←  <open id=ID/>
//   <handshake>HEX</handshake>   →                         →  <handshake>HEX</handshake>
//                                ←  <handshake/>           ←  <handshake/>
//   stanzas                      ↔                         ↔  one stanza per message
//
// Until the gateway's <open/> arrives, and again from the handshake until the gateway
// accepts it, the TCP socket is paused: what the component sends meanwhile waits in the
// kernel (TCP flow control), and the bridge queues at most what it had already read
// (one chunk), never an unbounded backlog. Before the handshake is accepted, the
// header and the handshake must fit in PRE_HANDSHAKE_CHARS.
//
// The bridge holds the gateway's rules (CONTRACT.md "The TCP bridge"): the bytes must
// be UTF-8 (else unsupported-encoding), the XML strict (xml-splitter.mjs: the same
// refusals as the gateway, never a silent repair), every stanza at most the gateway's
// maximum size (policy-violation before it is forwarded), at most maxConnections
// connections (more are refused with resource-constraint).
//
// References: XEP-0114 §3, RFC 7395 §3 (framing), RFC 6120 §4.4 (closing a stream),
// §4.9.3.17 (resource-constraint), §4.9.3.22 (unsupported-encoding), §11.
import net from "node:net";
import WebSocket from "ws";
import { StreamSplitter } from "./xml-splitter.mjs";
import { checkTcpHeader, isTcpStreamError, tcpFooter, tcpHeader, tcpStreamError, tcpToWs, wsClose, wsOpen, wsToTcp } from "./translate.mjs";

/** A connection that has not finished its handshake by then is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/** How long opening the gateway WebSocket may take. */
const GATEWAY_TIMEOUT_MS = 10_000;
/** WebSocket send buffer above which the TCP side is paused, and below which it resumes. */
const WS_BUFFER_HIGH = 1024 * 1024;
const WS_BUFFER_LOW = 256 * 1024;
/** How long a closing socket may linger before it is destroyed. */
const LINGER_MS = 2_000;
/** The stream header plus the handshake: a few hundred characters in practice. */
export const PRE_HANDSHAKE_CHARS = 4096;
/** The gateway's default limits.max_stanza_size (src/config/parse.ts). */
export const DEFAULT_MAX_STANZA_SIZE = 262144;
export const DEFAULT_MAX_CONNECTIONS = 100;

/**
 * Starts listening. Resolves once the listener is bound.
 * @param {{ gateway: string, host: string, port: number, log?: (line: string) => void,
 *   maxConnections?: number, maxStanzaSize?: number, handshakeTimeoutMs?: number }} options
 *   (handshakeTimeoutMs: CONTRACT.md says 30 s; other values are for tests)
 */
export async function startBridge({
  gateway,
  host,
  port,
  log = (line) => process.stderr.write(`${line}\n`),
  maxConnections = DEFAULT_MAX_CONNECTIONS,
  maxStanzaSize = DEFAULT_MAX_STANZA_SIZE,
  handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS,
}) {
  /** @type {Set<Relay>} */
  const relays = new Set();
  const server = net.createServer((socket) => {
    if (relays.size >= maxConnections) return refuse(socket, log);
    const relay = new Relay(socket, gateway, log, () => relays.delete(relay), { maxStanzaSize, handshakeTimeoutMs });
    relays.add(relay);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(undefined);
    });
  });
  server.on("error", (e) => log(`bridge: listener error: ${e.message}`));
  return {
    address: /** @type {net.AddressInfo} */ (server.address()),
    connections: () => relays.size,
    /** Stops listening and ends every connection (system-shutdown); resolves when all are closed. */
    async close() {
      const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
      await Promise.all([...relays].map((r) => r.shutdown()));
      await closed;
    },
  };
}

/** A connection beyond maxConnections: a header, resource-constraint, the closing tag. */
function refuse(socket, log) {
  log(`bridge: - ${socket.remoteAddress}:${socket.remotePort} resource-constraint (too many connections)`);
  socket.on("error", () => undefined);
  socket.end(tcpHeader({}) + tcpStreamError("resource-constraint", "too many connections to the bridge") + tcpFooter());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

class Relay {
  /**
   * @param {net.Socket} socket
   * @param {string} gateway
   * @param {(line: string) => void} log
   * @param {() => void} onGone
   * @param {{ maxStanzaSize: number, handshakeTimeoutMs: number }} limits (stanza size in UTF-8 bytes, as the gateway counts)
   */
  constructor(socket, gateway, log, onGone, { maxStanzaSize, handshakeTimeoutMs }) {
    this.socket = socket;
    this.gateway = gateway;
    this.log = log;
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.jid = null;
    /** @type {Record<string, string>} */
    this.headerAttrs = {};
    this.headerSent = false; // our stream header went to the TCP component
    this.outcome = null; // logged once: ok, a stream error condition, or closed
    this.maxStanzaSize = maxStanzaSize;
    this.queue = []; // TCP frames not yet sent (bounded: the socket is paused meanwhile)
    this.wsReady = false;
    this.sawFirstElement = false; // the handshake has been read
    this.handshakeSent = false; // the first element went to the gateway
    this.authenticated = false; // the gateway accepted the handshake
    this.wsError = null;
    this.done = false;
    this.tcpGone = false;
    this.wsGone = false;
    this.goneWaiters = [];
    this.onGone = onGone;

    this.timer = setTimeout(() => this.fail("connection-timeout", "no handshake in time"), handshakeTimeoutMs);
    this.timer.unref();

    this.splitter = new StreamSplitter(
      {
        streamStart: (name, attrs) => this.onTcpHeader(name, attrs),
        element: (el) => this.onTcpElement(el),
        streamEnd: () => this.finish("closed", { tcpFooter: true, wsClose: true }),
        error: (condition, text) => this.fail(condition, text, text),
      },
      // Characters never outnumber UTF-8 bytes: a longer element is surely too large.
      { maxElementChars: maxStanzaSize },
    );
    // RFC 6120 §11.6: UTF-8 only. A fatal decoder refuses what setEncoding would turn into U+FFFD.
    this.decoder = new TextDecoder("utf-8", { fatal: true });
    socket.setNoDelay(true);
    socket.on("data", (bytes) => this.onTcpData(bytes));
    socket.on("error", () => undefined); // 'close' follows
    socket.on("close", () => {
      this.tcpGone = true;
      this.finish("closed", { wsClose: true });
      this.settle();
    });
  }

  // ---- TCP → gateway

  onTcpData(bytes) {
    if (this.done) return;
    let text;
    try {
      text = this.decoder.decode(bytes, { stream: true });
    } catch {
      return this.fail("unsupported-encoding", "the stream is not valid UTF-8");
    }
    this.splitter.write(text);
    if (!this.done && !this.sawFirstElement && this.splitter.position > PRE_HANDSHAKE_CHARS) this.tooLongBeforeHandshake();
  }

  tooLongBeforeHandshake() {
    this.fail("policy-violation", `the stream header and handshake must fit in ${PRE_HANDSHAKE_CHARS} characters`);
  }

  onTcpHeader(name, attrs) {
    this.jid = attrs.to?.trim() || null; // for our header and the log, even when refused
    const check = checkTcpHeader(name, attrs);
    if (!check.ok) return this.fail(check.condition, check.text);
    this.jid = check.to;
    this.headerAttrs = attrs;
    const ws = new WebSocket(this.gateway, "xmpp", { handshakeTimeout: GATEWAY_TIMEOUT_MS });
    this.ws = ws;
    this.socket.pause(); // resumed on the gateway's <open/> (onWsMessage)
    ws.on("open", () => {
      if (ws.protocol !== "xmpp") return this.fail("remote-connection-failed", "the gateway did not accept the xmpp subprotocol", `no xmpp subprotocol from ${this.gateway}`);
      ws.send(wsOpen(check.to));
    });
    ws.on("message", (data) => this.onWsMessage(data.toString()));
    ws.on("error", (e) => {
      this.wsError ??= e.message; // 'close' follows
    });
    ws.on("close", () => {
      this.wsGone = true;
      if (!this.wsReady) this.fail("remote-connection-failed", "could not reach the gateway", this.wsError ?? "closed before <open/>");
      else this.finish("closed", { tcpFooter: true });
      this.settle();
    });
  }

  onTcpElement(el) {
    if (this.done) return;
    if (isTcpStreamError(el, this.headerAttrs)) {
      // The component gives up with a stream error: end both sides.
      return this.finish("closed", { tcpFooter: true, wsClose: true });
    }
    if (!this.sawFirstElement) {
      // The handshake (or what stands in its place) ends the pre-handshake allowance.
      this.sawFirstElement = true;
      if (this.splitter.parsed > PRE_HANDSHAKE_CHARS) return this.tooLongBeforeHandshake();
    }
    const frame = tcpToWs(el, this.headerAttrs);
    if (Buffer.byteLength(frame, "utf8") > this.maxStanzaSize) {
      return this.fail("policy-violation", `stanza larger than ${this.maxStanzaSize} bytes`);
    }
    this.queue.push(frame);
    this.pump();
  }

  /**
   * Sends what may go: nothing before the gateway's <open/>, then the handshake alone
   * until the gateway accepts it, then everything. The socket is read only when the
   * queue is empty and the gateway may take more.
   */
  pump() {
    if (this.done || !this.wsReady) return;
    while (this.queue.length > 0 && (this.authenticated || !this.handshakeSent)) {
      this.handshakeSent = true;
      this.sendWs(this.queue.shift());
    }
    const mayRead = this.queue.length === 0 && (this.authenticated || !this.handshakeSent);
    if (!mayRead || this.ws.bufferedAmount > WS_BUFFER_HIGH) this.socket.pause();
    else this.socket.resume();
  }

  /** Back-pressure: a component sending faster than the gateway takes it stops being read. */
  sendWs(frame) {
    const ws = this.ws;
    ws.send(frame, () => {
      if (this.socket.isPaused() && ws.bufferedAmount < WS_BUFFER_LOW && this.queue.length === 0 && this.authenticated) this.socket.resume();
    });
    if (ws.bufferedAmount > WS_BUFFER_HIGH) this.socket.pause();
  }

  // ---- gateway → TCP

  onWsMessage(frame) {
    if (this.done) return;
    const msg = wsToTcp(frame);
    switch (msg.kind) {
      case "open":
        if (this.wsReady) return;
        this.wsReady = true;
        this.sendHeader(msg.from ?? this.jid, msg.id);
        this.pump();
        return;
      case "handshake":
        this.report("ok");
        clearTimeout(this.timer);
        this.authenticated = true;
        this.writeTcp(msg.xml);
        this.pump();
        return;
      case "error":
        this.report(msg.condition);
        this.sendHeader(this.jid);
        this.writeTcp(msg.xml);
        return; // the gateway's <close/> follows
      case "close":
        return this.finish("closed", { tcpFooter: true, wsClose: true });
      case "stanza":
        this.writeTcp(msg.xml);
        return;
      case "invalid":
        return this.fail("internal-server-error", "unreadable message from the gateway", msg.text);
    }
  }

  // ---- plumbing

  sendHeader(from, id) {
    if (this.headerSent) return;
    this.headerSent = true;
    this.writeTcp(tcpHeader({ from: from ?? undefined, id }));
  }

  writeTcp(s) {
    if (this.tcpGone || this.socket.writableEnded) return;
    // Back-pressure the other way: a slow component stops the gateway's socket from being read.
    if (!this.socket.write(s) && this.ws && !this.ws.isPaused) {
      this.ws.pause();
      this.socket.once("drain", () => this.ws?.resume());
    }
  }

  /** The connection's one log line: JID, peer, outcome, and for the operator an optional detail. */
  report(outcome, detail) {
    if (this.outcome) return;
    this.outcome = outcome;
    this.log(`bridge: ${this.jid ?? "-"} ${this.peer} ${outcome}${detail ? ` (${detail})` : ""}`);
  }

  /** A stream error towards the TCP component, then both sides closed. */
  fail(condition, text, detail) {
    if (this.done) return;
    this.report(condition, detail);
    if (!this.tcpGone) {
      this.sendHeader(this.jid);
      this.writeTcp(tcpStreamError(condition, text));
    }
    this.finish(condition, { tcpFooter: true, wsClose: true });
  }

  /**
   * Ends the relay once: optionally the closing tag to the component and
   * <close/> to the gateway, then both sockets closed (destroyed if they linger).
   */
  finish(outcome, { tcpFooter: footer = false, wsClose: close = false }) {
    if (this.done) return;
    this.done = true;
    this.report(outcome);
    clearTimeout(this.timer);
    if (!this.tcpGone) {
      if (footer) {
        this.sendHeader(this.jid);
        this.writeTcp(tcpFooter());
      }
      this.socket.end();
      setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
    }
    const ws = this.ws;
    if (ws && !this.wsGone) {
      if (ws.readyState === WebSocket.OPEN) {
        if (close) ws.send(wsClose());
        ws.close(1000);
        setTimeout(() => ws.terminate(), LINGER_MS).unref();
      } else {
        ws.terminate();
      }
    }
    this.settle();
  }

  /** Called on every socket close: the relay is gone when both are. */
  settle() {
    if (!this.done || !this.tcpGone || (this.ws && !this.wsGone)) return;
    this.onGone();
    for (const resolve of this.goneWaiters.splice(0)) resolve(undefined);
  }

  /** Bridge shutdown: the component hears system-shutdown, the gateway <close/>. */
  shutdown() {
    const gone = new Promise((resolve) => this.goneWaiters.push(resolve));
    this.fail("system-shutdown", "the bridge is stopping");
    this.settle();
    return gone;
  }
}
