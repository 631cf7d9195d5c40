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
// Until the gateway's <open/> arrives the TCP socket is paused: what the component sends
// meanwhile waits in the kernel (TCP flow control), and the bridge queues at most what
// it had already read (one chunk), never an unbounded backlog.
//
// References: XEP-0114 §3, RFC 7395 §3 (framing), RFC 6120 §4.4 (closing a stream).
import net from "node:net";
import WebSocket from "ws";
import { StreamSplitter } from "./xml-splitter.mjs";
import { checkTcpHeader, isTcpStreamError, tcpFooter, tcpHeader, tcpStreamError, tcpToWs, wsClose, wsOpen, wsToTcp } from "./translate.mjs";

/** A connection that has not finished its handshake by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** How long opening the gateway WebSocket may take. */
const GATEWAY_TIMEOUT_MS = 10_000;
/** WebSocket send buffer above which the TCP side is paused, and below which it resumes. */
const WS_BUFFER_HIGH = 1024 * 1024;
const WS_BUFFER_LOW = 256 * 1024;
/** How long a closing socket may linger before it is destroyed. */
const LINGER_MS = 2_000;

/**
 * Starts listening. Resolves once the listener is bound.
 * @param {{ gateway: string, host: string, port: number, log?: (line: string) => void }} options
 */
export async function startBridge({ gateway, host, port, log = (line) => process.stderr.write(`${line}\n`) }) {
  /** @type {Set<Relay>} */
  const relays = new Set();
  const server = net.createServer((socket) => {
    const relay = new Relay(socket, gateway, log, () => relays.delete(relay));
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

class Relay {
  /**
   * @param {net.Socket} socket
   * @param {string} gateway
   * @param {(line: string) => void} log
   * @param {() => void} onGone
   */
  constructor(socket, gateway, log, onGone) {
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
    this.queue = []; // TCP elements waiting for the gateway's <open/> (bounded: the socket is paused)
    this.wsReady = false;
    this.wsError = null;
    this.done = false;
    this.tcpGone = false;
    this.wsGone = false;
    this.goneWaiters = [];
    this.onGone = onGone;

    this.timer = setTimeout(() => this.fail("connection-timeout", "no handshake in time"), HANDSHAKE_TIMEOUT_MS);
    this.timer.unref();

    this.splitter = new StreamSplitter({
      streamStart: (name, attrs) => this.onTcpHeader(name, attrs),
      element: (el) => this.onTcpElement(el),
      streamEnd: () => this.finish("closed", { tcpFooter: true, wsClose: true }),
      error: (condition, text) => this.fail(condition, text, text),
    });
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.splitter.write(chunk));
    socket.on("error", () => undefined); // 'close' follows
    socket.on("close", () => {
      this.tcpGone = true;
      this.finish("closed", { wsClose: true });
      this.settle();
    });
  }

  // ---- TCP → gateway

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
    const frame = tcpToWs(el, this.headerAttrs);
    if (!this.wsReady) this.queue.push(frame);
    else this.sendWs(frame);
  }

  /** Back-pressure: a component sending faster than the gateway takes it stops being read. */
  sendWs(frame) {
    const ws = this.ws;
    ws.send(frame, () => {
      if (this.socket.isPaused() && ws.bufferedAmount < WS_BUFFER_LOW) this.socket.resume();
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
        for (const f of this.queue.splice(0)) this.sendWs(f);
        // Read the component again, unless the flush itself filled the WebSocket buffer.
        if (this.ws.bufferedAmount <= WS_BUFFER_HIGH) this.socket.resume();
        return;
      case "handshake":
        this.report("ok");
        clearTimeout(this.timer);
        this.writeTcp(msg.xml);
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
