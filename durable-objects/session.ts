// SessionObject: one per WebSocket connection, client or component. It holds the
// socket (Hibernation API: an idle connection costs nothing), keeps the stream's
// state in the socket's attachment, and hands each frame to the stream handler.
// The account is unknown until SASL has run inside the socket, and a socket
// cannot move between objects, so connections get objects of their own.
import { GatewayObject } from "./base";
import { componentSecret } from "../src/config";
import type { Connection } from "../src/stream/connection";
import type { ConnectionPort } from "../src/ports/ports";
import { ConnectionDelegations } from "../src/delegation/connection-delegations";
import type { DelegationCounts } from "../src/delegation/counters";
import type { ClientState } from "../src/stream/client-state";
import type { ComponentState } from "../src/component/component-state";
import { onClientFrame, onClientGone, onClientTimeout, onClientUndecodable } from "../src/stream/client-stream";
import { onComponentFrame, onComponentGone } from "../src/component/component-stream";
import { closeElement } from "../src/stream/framing";
import { TokenBucket } from "../src/stream/rate-limit";
import { type Element, type StreamErrorCondition, streamError } from "../src/xml/stanza";

type StreamState = ClientState | ComponentState;
interface Attachment { state: StreamState; remoteAddress: string }

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A connection that is not bound (client) or ready (component) this long after opening is closed. */
export const UNAUTHENTICATED_TIMEOUT_MS = 60_000;

/** A component speaks for many users at once: its connection's bucket is far larger than a client's. */
export const COMPONENT_RATE_PER_SECOND = 5000;
export const COMPONENT_BURST = 20_000;

/** Frames one connection may have waiting while a handler awaits another object. */
export const MAX_QUEUED_FRAMES = 256;

export class SessionObject extends GatewayObject implements ConnectionPort {
  private buckets = new WeakMap<WebSocket, TokenBucket>();

  /** The upgrade request, forwarded by the Worker (which already checked the subprotocol). */
  override async fetch(request: Request): Promise<Response> {
    const kind = new URL(request.url).pathname === "/xmpp-component" ? "component" : "client";
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [kind]);
    const state: StreamState = kind === "client" ? { kind: "client", phase: "connected" } : { kind: "component", phase: "connected" };
    const attachment: Attachment = { state, remoteAddress: request.headers.get("cf-connecting-ip") ?? "127.0.0.1" };
    this.saveAttachment(server, attachment);
    // The alarm survives hibernation; it ends the stream if it never authenticates.
    await this.ctx.storage.setAlarm(Date.now() + UNAUTHENTICATED_TIMEOUT_MS);
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "xmpp" } });
  }

  private attachment(ws: WebSocket): Attachment {
    return this.attachmentOf<Attachment>(ws);
  }

  private connection(ws: WebSocket): Connection<StreamState> {
    const attachment = this.attachment(ws);
    const { config, services } = this;
    const env = this.env;
    const ctx = this.ctx;
    const buckets = this.buckets;
    const save = (a: Attachment) => this.saveAttachment(ws, a);
    const conn = {
      services,
      config,
      secrets: { component: (jid: string) => componentSecret(env, jid) },
      delegations: this.delegationsOf(ws) ?? undefined,
      sessionId: ctx.id.toString(),
      remoteAddress: attachment.remoteAddress,
      state: structuredClone(attachment.state), // handlers mutate it; only save() publishes
      save() {
        save({ state: structuredClone(conn.state), remoteAddress: attachment.remoteAddress });
      },
      send(el: Element | string) {
        try {
          ws.send(typeof el === "string" ? el : el.toString());
        } catch {
          // The socket is already closing; nothing to do.
        }
      },
      async close(condition?: StreamErrorCondition, text?: string) {
        if (condition) conn.send(streamError(condition, text));
        conn.send(closeElement());
        const gone = conn.state.kind === "client" ? onClientGone(conn as Connection<ClientState>) : onComponentGone(conn as Connection<ComponentState>);
        try {
          ws.close(1000, condition ?? "closed");
        } catch {
          // already closed
        }
        await gone;
      },
      waitUntil(p: Promise<unknown>) {
        ctx.waitUntil(p.catch((e) => console.error("background task failed", String(e))));
      },
      allowStanza() {
        let bucket = buckets.get(ws);
        if (!bucket) {
          const [rate, burst] = attachment.state.kind === "component" ? [COMPONENT_RATE_PER_SECOND, COMPONENT_BURST] : [config.limits.ratePerSecond, config.limits.burst];
          buckets.set(ws, (bucket = new TokenBucket(rate, burst)));
        }
        return bucket.take(Date.now());
      },
    };
    return conn;
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // Bounded: a client writing faster than its stanzas can be handled is stopped, not buffered.
    if (this.queued >= MAX_QUEUED_FRAMES) {
      return this.inOrder(() => this.connection(ws).close("policy-violation", "too many stanzas waiting; slow down"));
    }
    return this.inOrder(() => this.onFrame(ws, message));
  }

  private async onFrame(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const conn = this.connection(ws);
    let frame: string;
    try {
      frame = typeof message === "string" ? message : decoder.decode(message);
    } catch {
      if (conn.state.kind === "client") return onClientUndecodable(conn as Connection<ClientState>);
      return conn.close("unsupported-encoding", "frames are UTF-8 text");
    }
    try {
      if (conn.state.kind === "client") await onClientFrame(conn as Connection<ClientState>, frame);
      else await onComponentFrame(conn as Connection<ComponentState>, frame);
    } catch (e) {
      console.error("stream handler failed", e instanceof Error ? e.stack : String(e));
      await conn.close("internal-server-error");
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // RFC 6455 §5.5.1: answer the client's Close frame (1005/1006 are never sent on the wire).
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
    } catch {
      // already closed from our side
    }
    // In the frame queue: a close never overtakes a frame still being handled.
    await this.inOrder(() => this.gone(ws));
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.inOrder(() => this.gone(ws));
  }

  private async gone(ws: WebSocket): Promise<void> {
    const conn = this.connection(ws);
    if (conn.state.kind === "client") await onClientGone(conn as Connection<ClientState>);
    else await onComponentGone(conn as Connection<ComponentState>);
  }

  /** UNAUTHENTICATED_TIMEOUT_MS after the upgrade: connection-timeout unless bound or ready. */
  override async alarm(): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) {
      const conn = this.connection(ws);
      if (conn.state.kind === "client") await onClientTimeout(conn as Connection<ClientState>);
      else if (conn.state.phase !== "ready" && conn.state.phase !== "closed") await conn.close("connection-timeout", "the handshake took too long");
    }
  }

  /** The XEP-0355 requests pending at this connection, when it is a ready component's. */
  private delegations: ConnectionDelegations | null = null;

  private delegationsOf(ws: WebSocket): ConnectionDelegations | null {
    const state = this.attachment(ws).state;
    if (state.kind !== "component" || (state.phase !== "ready" && state.phase !== "closed") || !state.jid) return null;
    const jid = state.jid;
    if (this.delegations?.jid !== jid) {
      const write = (wire: string) => {
        if (ws.readyState !== WebSocket.OPEN || this.attachment(ws).state.phase !== "ready") return false;
        ws.send(wire);
        return true;
      };
      this.delegations = new ConnectionDelegations(this.services, jid, this.ctx.storage.sql, write);
    }
    return this.delegations;
  }

  /** XEP-0355 fast path (src/delegation/connection-delegations.ts); null when this is not `jid`'s ready stream. */
  async delegate(jid: string, iq: string, host: string): Promise<string[] | null> {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return null;
    const state = this.attachment(ws).state;
    if (state.kind !== "component" || state.phase !== "ready" || state.jid !== jid) return null;
    return this.delegationsOf(ws)!.delegate(iq, host);
  }

  async delegationCounts(): Promise<Record<string, DelegationCounts>> {
    return this.delegations?.counter.snapshot() ?? {};
  }

  private socket(): WebSocket | null {
    return this.ctx.getWebSockets()[0] ?? null;
  }

  /** Delivers a stanza to this connection. False when the connection is gone. */
  async deliver(stanza: string): Promise<boolean> {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const state = this.attachment(ws).state;
    if (state.phase !== "bound" && state.phase !== "ready") return false;
    ws.send(stanza);
    return true;
  }

  /** Delivers a stanza only if this connection is bound to exactly `full` (the
   *  sender's shortcut past the recipient's account; see src/routing/direct.ts). */
  async deliverTo(full: string, stanza: string): Promise<boolean> {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const state = this.attachment(ws).state;
    if (state.phase !== "bound" || state.full !== full) return false;
    ws.send(stanza);
    return true;
  }

  /** Delivers a stanza only if this connection is the ready stream of exactly the component
   *  `jid` (the sender's shortcut past the component's mailbox; see src/routing/direct.ts). */
  async deliverToComponent(jid: string, stanza: string): Promise<boolean> {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const state = this.attachment(ws).state;
    if (state.kind !== "component" || state.phase !== "ready" || state.jid !== jid) return false;
    ws.send(stanza);
    return true;
  }

  /** Whether this connection is still open (the account uses it to forget cut connections). */
  async alive(): Promise<boolean> {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    return this.attachment(ws).state.phase !== "closed";
  }

  /** Ends this connection with a stream error (conflict, account deleted, shutdown). */
  async kick(condition: StreamErrorCondition, text?: string): Promise<void> {
    const ws = this.socket();
    if (ws) await this.connection(ws).close(condition, text);
  }
}
