// SessionObject: one per WebSocket connection, client or component. It holds the
// socket (Hibernation API: an idle connection costs nothing), keeps the stream's
// state in the socket's attachment, and hands each frame to the stream handler.
// The account is unknown until SASL has run inside the socket, and a socket
// cannot move between objects, so connections get objects of their own.
import { GatewayObject } from "./base";
import { componentSecret } from "../src/config";
import type { Connection } from "../src/stream/connection";
import type { ConnectionPort, DirectMessage, DirectOutcome, DirectPresence } from "../src/ports/ports";
import { ConnectionDelegations } from "../src/delegation/connection-delegations";
import { RequestsInFlight, type StanzaHead } from "../src/component/requests-in-flight";
import { acceptsDirect, blocksFrom, forgetSenderView } from "../src/im/sender-view";
import type { DelegationCounts } from "../src/delegation/counters";
import type { ClientState } from "../src/stream/client-state";
import type { ComponentState } from "../src/component/component-state";
import { onClientFrame, onClientGone, onClientTimeout, onClientUndecodable } from "../src/stream/client-stream";
import { onComponentFrame, onComponentGone } from "../src/component/component-stream";
import { closeElement } from "../src/stream/framing";
import { TokenBucket } from "../src/stream/rate-limit";
import { type Element, type StreamErrorCondition, streamError } from "../src/xml/stanza";
import type { SmHandOver } from "../src/stream-management/handover";
import { SmStore } from "../src/stream-management/session-store";
import { CsiStore } from "../src/csi/hold-store";
import { csiFilter } from "../src/csi/csi-glue";
import { CSI_OWNER, type SmSide } from "../src/stream-management/sm-side";
import { beforeSend, onSmAlarm } from "../src/stream-management/stream-glue";
import { endSession } from "../src/stream-management/client-sm";
import { ACK_REQUEST_AFTER_MS } from "../src/stream-management/ack-policy";
import { parseTrusted, utf8Length } from "../src/xml/frame-parser";
import { NS } from "../src/xml/namespaces";
import { newId, xml } from "../src/xml/stanza";
import { type Question, type ReaderMark, ReaderMeter, unprovenBound, worthKeeping } from "../src/stream/reader-proof";
import { rerouteHeld } from "../src/stream-management/reroute";
import { wireH } from "../src/stream-management/counter";
import { ackRequest } from "../src/stream-management/protocol";

type StreamState = ClientState | ComponentState;
/** `reader`: the slow-reader meter's questions and count (src/stream/reader-proof.ts). */
interface Attachment { state: StreamState; remoteAddress: string; reader?: ReaderMark }

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A connection that is not bound (client) or ready (component) this long after opening is closed. */
export const UNAUTHENTICATED_TIMEOUT_MS = 60_000;

/** Frames one connection may have waiting while a handler awaits another object. */
export const MAX_QUEUED_FRAMES = 256;

type Bound = Extract<ClientState, { phase: "bound" }>;

/** A stanza (not a nonza or stream element), told from its serialisation. */
function isStanzaText(raw: string): boolean {
  return raw.startsWith("<message") || raw.startsWith("<presence") || raw.startsWith("<iq");
}

/** While detached, only the latest presence update per sender is kept (docs/stream-management.md §4.8). */
function presenceKey(raw: string): string | undefined {
  if (!raw.startsWith("<presence")) return undefined;
  const el = parseTrusted(raw);
  const type = el.attrs.type;
  return type === undefined || type === "unavailable" ? (el.attrs.from ?? "") : undefined;
}

export class SessionObject extends GatewayObject implements ConnectionPort {
  private buckets = new WeakMap<WebSocket, TokenBucket>();

  // XEP-0198 / XEP-0352 state lives in this object's SQLite (docs/stream-management.md):
  // created on first use, so connections that never use them grow no tables.
  private smStore: SmStore | null = null;
  private csiStore: CsiStore | null = null;
  /** Whether an ack-check alarm is already set in this instance (saves a storage read per stanza). */
  private ackAlarmSet = false;

  private get store(): SmStore {
    return (this.smStore ??= new SmStore(this.ctx.storage.sql));
  }

  private get csi(): CsiStore {
    return (this.csiStore ??= new CsiStore(this.ctx.storage.sql));
  }

  /** Whether SM tables exist here at all (a restarted object does not know yet). */
  private hasSm(): boolean {
    if (this.smStore) return true;
    const found = this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sm_sessions'").toArray().length > 0;
    return found && this.store !== null;
  }

  /** Each socket's SM side, made once (every frame asks for it). */
  private sides = new WeakMap<WebSocket, SmSide>();

  private side(ws: WebSocket): SmSide {
    let side = this.sides.get(ws);
    if (!side) this.sides.set(ws, (side = this.makeSide(ws)));
    return side;
  }

  private makeSide(ws: WebSocket): SmSide {
    const self = this;
    return {
      get store() { return self.store; },
      get csi() { return self.csi; },
      cfg: this.config.streamManagement,
      write: async (raw) => void (await this.writeStanza(ws, raw)),
      writeRaw: (el) => this.sendRaw(ws, typeof el === "string" ? el : el.toString()),
      acked: (h, sent) => {
        const meter = this.meterOf(ws);
        if (meter?.acknowledged(h, sent)) this.keepMark(ws, meter);
      },
      scheduleAlarm: (at) => this.scheduleAlarm(at),
    };
  }

  /**
   * The one way a stanza reaches a bound client: held back by CSI (presence while
   * inactive), then, with SM on, counted and kept before it is written. The INSERT and
   * the send happen in the same synchronous step: the output gate holds the frame until
   * the row is durable, so no stanza is on the wire that a restart could forget.
   * Every byte is counted until the client proves it reads (src/stream/reader-proof.ts);
   * a stanza that would pass the bound ends the stream instead. False when the stanza
   * was not taken (the stream is ending): its sender's object finds another way.
   */
  private async writeStanza(ws: WebSocket, raw: string): Promise<boolean> {
    const state = this.attachment(ws).state;
    if (state.kind !== "client" || state.phase !== "bound") {
      this.sendRaw(ws, raw);
      return true;
    }
    if (state.smId && this.endingSessions.has(state.smId)) return false;
    let out = [raw];
    // Only a stream that sent a CSI nonza has anything held (the attachment says so, so
    // that a presence to a stream that never did touches no storage).
    if (raw.startsWith("<presence") && state.csi) out = csiFilter(this.csi, CSI_OWNER, parseTrusted(raw), raw);
    const meter = this.meterOf(ws)!;
    for (const one of out) {
      const size = utf8Length(one);
      if (!meter.fits(size, Date.now())) {
        await this.notReading(ws, state, one);
        return true;
      }
      if (!state.smId) {
        this.sendRaw(ws, one, size, worthKeeping(one));
        if (meter.wants("ping")) this.ask(ws, meter, { kind: "ping", id: newId("ping") }, state);
        continue;
      }
      const now = Date.now();
      const action = beforeSend(this.store, state.smId, one, now, meter.wants("sm"));
      if (action.kind === "overflow") {
        await this.overflow(ws, state, action.error, [one]);
        return true;
      }
      this.sendRaw(ws, one, size);
      if (action.requestAck) this.ask(ws, meter, { kind: "sm", h: action.h });
      if (!this.ackAlarmSet) {
        this.ackAlarmSet = true;
        await this.scheduleAlarm(now + ACK_REQUEST_AFTER_MS + 1000);
      }
    }
    return true;
  }

  /** Writes to the socket, counted by its reader meter if it has one (`keep`: a stanza
   *  to hand on if the stream is cut). */
  private sendRaw(ws: WebSocket, raw: string, size = -1, keep = false): void {
    try {
      ws.send(raw);
    } catch {
      return; // The socket is already closing; nothing to do.
    }
    this.meters.get(ws)?.wrote(size >= 0 ? size : utf8Length(raw), keep ? raw : undefined);
  }

  // ---- slow readers (src/stream/reader-proof.ts) ----------------------------------------

  private meters = new WeakMap<WebSocket, ReaderMeter>();
  /** At the deadline of a ping waiting for its answer (keeps the object awake meanwhile). */
  private pingTimer: ReturnType<typeof setTimeout> | null = null;

  /** The reader meter of a bound client stream, restored after a wake from the attachment
   *  (and, with XEP-0198, from the size of the unacknowledged queue). */
  private meterOf(ws: WebSocket): ReaderMeter | null {
    let meter = this.meters.get(ws);
    if (meter) return meter;
    const a = this.attachment(ws);
    if (a.state.kind !== "client" || a.state.phase !== "bound") return null;
    let mark = a.reader;
    if (a.state.smId) mark = { open: [], ...mark, unproven: Math.max(mark?.unproven ?? 0, this.store.unackedSize(a.state.smId)) };
    this.meters.set(ws, (meter = new ReaderMeter(unprovenBound(this.config.limits.maxStanzaSize), mark)));
    return meter;
  }

  /** A timer at the deadline of the oldest ping waiting for its answer, none when none waits. */
  private armPingTimer(ws: WebSocket, meter: ReaderMeter): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    const deadline = meter.pingDeadline();
    if (deadline === null) return;
    this.pingTimer = setTimeout(() => {
      this.pingTimer = null;
      const state = this.attachment(ws).state;
      if (this.meters.get(ws) !== meter || state.kind !== "client" || state.phase !== "bound") return;
      if (!meter.overdue(Date.now())) return this.armPingTimer(ws, meter);
      this.ctx.waitUntil(this.notReading(ws, state, null).catch((e) => console.error("slow reader", String(e))));
    }, Math.max(0, deadline - Date.now()) + 1);
  }

  /** What the meter must remember across hibernation, kept when a question is asked or answered. */
  private keepMark(ws: WebSocket, meter: ReaderMeter): void {
    this.saveAttachment(ws, { ...this.attachment(ws), reader: meter.mark() });
  }

  /** Asks the client for a proof that it reads: an <r/> (XEP-0198) or a XEP-0199 ping. */
  private ask(ws: WebSocket, meter: ReaderMeter, q: Question, state?: Bound): void {
    const wire = q.kind === "sm"
      ? ackRequest()
      : xml("iq", { xmlns: NS.client, type: "get", from: state!.host, to: state!.full, id: q.id }, xml("ping", { xmlns: NS.ping }));
    this.sendRaw(ws, wire.toString());
    meter.asked(q, Date.now());
    this.keepMark(ws, meter);
    if (q.kind === "ping") this.armPingTimer(ws, meter);
  }

  /** An IQ answer from the client to this connection's ping: proof, routed nowhere. */
  private readingProof(ws: WebSocket, el: Element): boolean {
    if (el.name !== "iq" || (el.attrs.type !== "result" && el.attrs.type !== "error")) return false;
    const meter = this.meterOf(ws);
    if (!meter?.answered(el.attrs.id ?? "")) return false;
    this.keepMark(ws, meter);
    this.armPingTimer(ws, meter);
    return true;
  }

  /**
   * The client does not read what it is sent: stream error resource-constraint, and
   * what it never proved to have read goes where RFC 6121 sends stanzas for an
   * unavailable resource (with XEP-0198 through its queue, as past max_queue; otherwise
   * the messages and IQ requests the meter held, through the account, after the unbind).
   * `refused`: the stanza that was not written (none when a ping's deadline passed).
   */
  private async notReading(ws: WebSocket, state: Bound, refused: string | null): Promise<void> {
    const meter = this.meters.get(ws);
    this.meters.delete(ws);
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    const error = streamError("resource-constraint", "the client does not read what it is sent");
    console.log(JSON.stringify({ event: "slow-reader", jid: state.full, unproven: meter?.unproven ?? null, sm: !!state.smId }));
    if (state.smId) return this.overflow(ws, state, error, refused === null ? [] : [refused]);
    const held = [...(meter?.takeHeld() ?? []), ...(refused === null ? [] : [refused])];
    this.sendRaw(ws, error.toString());
    // close() marks the stream closed before it yields: nothing more is written to it.
    await this.connection(ws).close();
    const rerouted = rerouteHeld(held, state.bare);
    await this.services.ports.account(state.bare).smEnded({ id: "", resource: state.resource, connection: this.ctx.id.toString(), rerouted, offlineOnly: false });
  }

  /** SM sessions being ended here: nothing more is written or kept for them meanwhile. */
  private endingSessions = new Set<string>();

  /** Past max_queue (or a client that does not read): stream error resource-constraint,
   *  the session ends, messages to offline storage (CONTRACT.md). */
  private async overflow(ws: WebSocket | null, state: Bound, error: Element, refused: string[]): Promise<void> {
    const smId = state.smId!;
    if (this.endingSessions.has(smId)) return;
    this.endingSessions.add(smId);
    try {
      await endSession(this.services.ports.account(state.bare), this.store, smId, this.ctx.id.toString(), true, refused);
    } finally {
      this.endingSessions.delete(smId);
    }
    if (ws) {
      this.sendRaw(ws, error.toString());
      await this.connection(ws).close();
    }
  }

  /** The upgrade request, forwarded by the Worker (which already checked the subprotocol). */
  override async fetch(request: Request): Promise<Response> {
    const kind = new URL(request.url).pathname === "/xmpp-component" ? "component" : "client";
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [kind]);
    const state: StreamState = kind === "client" ? { kind: "client", phase: "connected" } : { kind: "component", phase: "connected" };
    const attachment: Attachment = { state, remoteAddress: request.headers.get("cf-connecting-ip") ?? "127.0.0.1" };
    this.saveAttachment(server, attachment);
    // Ends the stream if it never authenticates. A timer, not the alarm: the login path
    // writes nothing to this object's storage (an alarm is a storage write, and it would
    // wake every idle connection's object once more a minute later). The timer keeps the
    // object out of hibernation only until the stream is bound or ready (onFrame clears it);
    // a restart of the runtime that could lose it cuts the socket too.
    this.authTimer = setTimeout(() => {
      this.inOrder(() => this.closeUnauthenticated()).catch((e) => console.error("authentication timeout failed", String(e)));
    }, UNAUTHENTICATED_TIMEOUT_MS);
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
    const self = this;
    const sm = attachment.state.kind === "client" ? this.side(ws) : undefined;
    const conn = {
      sm,
      services,
      config,
      secrets: { component: (jid: string) => componentSecret(env, jid) },
      delegations: this.delegationsOf(ws) ?? undefined,
      requests: attachment.state.kind === "component" ? this.requests : undefined,
      sessionId: ctx.id.toString(),
      remoteAddress: attachment.remoteAddress,
      state: copyState(attachment.state), // handlers mutate it; only save() publishes
      save() {
        // Merged with the attachment as it is now: the reader meter may have written to it.
        save({ ...self.attachment(ws), state: copyState(conn.state) });
      },
      send(el: Element | string) {
        const raw = typeof el === "string" ? el : el.toString();
        const st = conn.state;
        // Stanzas on a bound client stream go through the one counted writer (the
        // attachment, not conn.state, says whether SM is on: it is what was saved).
        if (st.kind === "client" && st.phase === "bound" && isStanzaText(raw)) {
          conn.waitUntil(self.writeStanza(ws, raw));
          return;
        }
        self.sendRaw(ws, raw);
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
      readingProof: (el: Element) => this.readingProof(ws, el),
      allowStanza() {
        let bucket = buckets.get(ws);
        if (!bucket) {
          const [rate, burst] = attachment.state.kind === "component" ? [config.limits.componentRatePerSecond, config.limits.componentBurst] : [config.limits.ratePerSecond, config.limits.burst];
          buckets.set(ws, (bucket = new TokenBucket(rate, burst)));
        }
        return bucket.take(Date.now());
      },
    };
    return conn;
  }

  /** Sockets whose stream is being ended for writing too fast: what they send next is dropped. */
  private overrun = new WeakSet<WebSocket>();

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.overrun.has(ws)) return Promise.resolve();
    // Bounded: a client writing faster than its stanzas can be handled is stopped, not
    // buffered. The frames already queued are handled first (in order), then the error.
    if (this.queued >= MAX_QUEUED_FRAMES) {
      this.overrun.add(ws);
      return this.inOrder(() => this.connection(ws).close("policy-violation", "too many stanzas waiting; slow down"));
    }
    return this.inOrder(() => this.onFrame(ws, message));
  }

  /** The unauthenticated stream's timer (fetch), until the stream is bound, ready or closed. */
  private authTimer: ReturnType<typeof setTimeout> | null = null;

  private clearAuthTimer(ws: WebSocket): void {
    if (this.authTimer === null) return;
    const phase = this.attachment(ws).state.phase;
    if (phase !== "bound" && phase !== "ready" && phase !== "closed") return;
    clearTimeout(this.authTimer);
    this.authTimer = null;
  }

  /** UNAUTHENTICATED_TIMEOUT_MS after the upgrade: connection-timeout unless bound or ready. */
  private async closeUnauthenticated(): Promise<void> {
    this.authTimer = null;
    for (const ws of this.ctx.getWebSockets()) {
      const conn = this.connection(ws);
      if (conn.state.kind === "client") await onClientTimeout(conn as Connection<ClientState>);
      else if (conn.state.phase !== "ready" && conn.state.phase !== "closed") await conn.close("connection-timeout", "the handshake took too long");
    }
  }

  private async onFrame(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.handleFrame(ws, message);
    } finally {
      this.clearAuthTimer(ws);
    }
  }

  private async handleFrame(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
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
    if (this.authTimer !== null) {
      clearTimeout(this.authTimer);
      this.authTimer = null;
    }
    const conn = this.connection(ws);
    if (conn.state.kind === "client") await onClientGone(conn as Connection<ClientState>, true);
    else await onComponentGone(conn as Connection<ComponentState>);
  }

  /**
   * XEP-0198: ack requests by time, a socket found gone after a restart (no event tells
   * us), and the end of a session whose resumption window passed.
   */
  override async alarm(): Promise<void> {
    if (!this.hasSm()) return;
    this.ackAlarmSet = false;
    const now = Date.now();
    const ws = this.boundSocket();
    const current = this.store.current();
    const hasSocket = ws !== null && current !== null && ws.state.smId === current.id;
    const action = onSmAlarm(this.store, current?.id ?? null, hasSocket, now);
    if (action.requestAck && ws && current) {
      const meter = this.meterOf(ws.ws);
      if (meter) this.ask(ws.ws, meter, { kind: "sm", h: wireH(this.store.get(current.id)?.sent ?? 0) });
    }
    for (const id of action.expired) await this.endHere(id, false, []);
    if (action.next !== null) await this.scheduleAlarm(action.next);
  }

  /** IQ requests written to this component's socket and not answered yet. */
  private readonly requests = new RequestsInFlight();

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

  async forgetSenderView(bare: string): Promise<void> {
    forgetSenderView(bare);
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

  /** The open socket of a bound client stream, with its state. */
  private boundSocket(): { ws: WebSocket; state: Bound } | null {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return null;
    const state = this.attachment(ws).state;
    return state.kind === "client" && state.phase === "bound" ? { ws, state } : null;
  }

  /** Ends an SM session held here: its account gets what it held. */
  private async endHere(id: string, offlineOnly: boolean, extra: string[]): Promise<void> {
    const s = this.store.get(id);
    if (!s) return;
    await endSession(this.services.ports.account(s.account), this.store, id, this.ctx.id.toString(), offlineOnly, extra);
  }

  /**
   * A stanza for a session whose socket is gone (closed, or cut by a restart without an
   * event): kept for its client while the resumption window runs (docs/stream-management.md §4.4). False
   * when there is no such session.
   */
  private async keepDetached(stanza: string, full: string | null): Promise<boolean> {
    if (!this.hasSm()) return false;
    const s = this.store.current();
    if (!s || !s.resumable || s.account === "" || s.resource === "" || this.endingSessions.has(s.id)) return false;
    if (full !== null && `${s.account}/${s.resource}` !== full) return false;
    const now = Date.now();
    if (s.detachedSince === null) {
      const expiry = this.store.detach(s.id, now);
      if (expiry !== null) await this.scheduleAlarm(expiry);
    }
    const kept = this.store.enqueue(s.id, stanza, now, false, presenceKey(stanza));
    if (!kept.ok) await this.endHere(s.id, true, [stanza]);
    return true;
  }

  /** Delivers a stanza to this connection. False when the connection is gone. */
  async deliver(stanza: string): Promise<boolean> {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return this.keepDetached(stanza, null);
    const state = this.attachment(ws).state;
    if (state.kind === "client" && state.phase === "bind" && state.resuming) {
      // A resumption is moving the session here: kept behind its queue (client-sm.ts).
      return this.store.enqueue(state.resuming, stanza, Date.now(), false).ok;
    }
    if (state.phase === "closed") return this.keepDetached(stanza, null);
    if (state.phase !== "bound" && state.phase !== "ready") return false;
    if (state.kind === "component" && stanza.startsWith("<iq")) this.requests.sent(parseTrusted(stanza));
    return this.writeStanza(ws, stanza);
  }

  /** Delivers a stanza only if this connection is bound to exactly `full` (the
   *  sender's shortcut past the recipient's account; see src/routing/direct.ts). A
   *  user's message is written only if the account would only have passed it on
   *  (src/im/sender-view.ts); a detached session leaves those to the account too. A
   *  contact's broadcast presence (src/im/presence-straight.ts) is written only while the
   *  resource is available and dropped when the blocklist matches its sender; "account"
   *  when availability is unknown here. */
  async deliverTo(full: string, stanza: string, direct?: DirectMessage | DirectPresence): Promise<DirectOutcome> {
    const ws = this.socket();
    const open = ws !== null && ws.readyState === WebSocket.OPEN;
    const state = open ? this.attachment(ws).state : null;
    // A message or a presence with no open stream here forgets the route (the account
    // knows the rest: where the session went, whether it waits for resumption).
    if (!open || state!.phase === "closed") return direct ? false : this.keepDetached(stanza, full);
    if (state!.phase !== "bound" || state!.full !== full) return false;
    if (direct?.kind === "message" && !(await acceptsDirect(this.services.ports, state!.bare, state!.resource, direct))) return "account";
    if (direct?.kind === "presence") {
      if (state!.available === undefined) return "account";
      if (!state!.available) return false;
      if (await blocksFrom(this.services.ports, state!.bare, direct.from)) return true; // XEP-0191 §3.3: dropped
    }
    return this.writeStanza(ws, stanza);
  }

  /** Writes a stanza only if this is the ready stream of the component `jid` (the
   *  sender's shortcut past the component's mailbox; see src/routing/direct.ts). */
  async deliverToComponent(jid: string, stanza: string, head: StanzaHead): Promise<boolean> {
    const ws = this.socket();
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const state = this.attachment(ws).state;
    if (state.kind !== "component" || state.phase !== "ready" || state.jid !== jid) return false;
    this.requests.sent(head);
    return this.writeStanza(ws, stanza);
  }

  /** Whether this connection is still open, or its XEP-0198 session waits for resumption
   *  (the account uses it to forget cut connections). */
  async alive(): Promise<boolean> {
    const ws = this.socket();
    const state = ws ? this.attachment(ws).state : null;
    const ending = state?.kind === "client" && state.phase === "bound" && !!state.smId && this.endingSessions.has(state.smId);
    if (ws && ws.readyState === WebSocket.OPEN && state!.phase !== "closed" && !ending) return true;
    if (!this.hasSm()) return false;
    const s = this.store.current();
    if (!s || !s.resumable || s.resource === "" || this.endingSessions.has(s.id)) return false;
    if (s.detachedSince === null) {
      const expiry = this.store.detach(s.id, Date.now());
      if (expiry !== null) await this.scheduleAlarm(expiry);
    }
    return true;
  }

  /** Ends this connection with a stream error (conflict, account deleted, shutdown). */
  async kick(condition: StreamErrorCondition, text?: string): Promise<void> {
    const ws = this.socket();
    if (ws && ws.readyState === WebSocket.OPEN) return this.connection(ws).close(condition, text);
    // No socket: a detached session ends now (its resource was replaced or the account went).
    const s = this.hasSm() ? this.store.current() : null;
    if (s && s.resource !== "") await this.endHere(s.id, false, []);
  }

  /**
   * XEP-0198 §5, the old connection's part: in one synchronous step, check and release
   * what the client acknowledged, take the session out of this object, and close a
   * still-open old socket with stream error conflict (CONTRACT.md). Its resource is
   * not unbound: the account gives it to the new connection.
   */
  async smHandOver(previd: string, account: string, h: number, to: string): Promise<SmHandOver> {
    const out = this.store.takeForResume(previd, account, h, to, Date.now());
    switch (out.kind) {
      case "not-found":
        return { kind: "not-found" };
      case "too-high":
        return { kind: "too-high", h: out.h, sendCount: out.sendCount };
      case "expired":
        return out.ended
          ? { kind: "expired", h: out.handledIn, resource: out.ended.resource, rerouted: out.ended.rerouted }
          : { kind: "expired", h: out.handledIn };
      case "resumed": {
        const snapshot = this.store.exportSession(previd)!;
        const ws = this.socket();
        if (ws) {
          const a = this.attachment(ws);
          this.saveAttachment(ws, { ...a, state: { kind: "client", phase: "closed" } });
          this.sendRaw(ws, streamError("conflict", "the session was resumed on another connection").toString());
          this.sendRaw(ws, closeElement().toString());
          try {
            ws.close(1000, "conflict");
          } catch {
            // already closed
          }
        }
        return { kind: "resumed", snapshot };
      }
    }
  }
}

/** A copy of a stream's state that handlers may change. States are flat records (SASL's
 *  pending exchange aside), so a shallow copy does, with nested values cloned: cheaper
 *  than structuredClone on every frame. */
function copyState<S extends StreamState>(state: S): S {
  const out: Record<string, unknown> = { ...state };
  for (const key in out) if (typeof out[key] === "object" && out[key] !== null) out[key] = structuredClone(out[key]);
  return out as S;
}
