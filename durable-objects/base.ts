// The base of every object: the configuration loaded once per instance, the services
// modules need (ports to other objects, the features' handler table), one alarm shared
// by whatever needs waking, and, for objects holding sockets, the hibernation plumbing:
// each socket's attachment cached in memory and frames handled strictly in order.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import { loadConfig, type GatewayConfig } from "../src/config";
import { objectPorts } from "../src/ports/from-env";
import type { Services } from "../src/pipeline/context";
import { gatewayFor, type Gateway } from "../src/features";

export abstract class GatewayObject extends DurableObject<Env> {
  private loaded: { config: GatewayConfig; gateway: Gateway; services: Services } | null = null;

  /** Throws when the configuration does not validate (the Worker already refuses every request then). */
  private load() {
    if (this.loaded) return this.loaded;
    const loaded = loadConfig(this.env);
    if (!loaded.ok) throw new Error(loaded.error);
    const gateway = gatewayFor(loaded.config);
    const ctx = this.ctx;
    const services: Services = {
      config: loaded.config,
      ports: objectPorts(this.env),
      routes: gateway.routes,
      disco: gateway.disco,
      mailboxTakes: (stanza) => gateway.componentEvents.takes(loaded.config, stanza),
      waitUntil: (p) => ctx.waitUntil(p.catch((e) => console.error("background task failed", String(e)))),
    };
    this.loaded = { config: loaded.config, gateway, services };
    return this.loaded;
  }

  protected get config(): GatewayConfig {
    return this.load().config;
  }

  protected get gateway(): Gateway {
    return this.load().gateway;
  }

  protected get services(): Services {
    return this.load().services;
  }

  /** Wakes the object at `at` (epoch ms) unless it is already due to wake earlier. */
  protected async scheduleAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  // ---- sockets (objects that hold WebSockets) ---------------------------------------

  /** The attachment as last saved, so a frame does not deserialise it again; empty
   *  after a wake from hibernation, when the attachment itself is read. */
  private attachments = new WeakMap<WebSocket, unknown>();

  protected attachmentOf<A>(ws: WebSocket): A {
    let a = this.attachments.get(ws) as A | undefined;
    if (a === undefined) this.attachments.set(ws, (a = ws.deserializeAttachment() as A));
    return a;
  }

  protected saveAttachment<A>(ws: WebSocket, a: A): void {
    ws.serializeAttachment(a);
    this.attachments.set(ws, a);
  }

  /** Frames are handled one after another (RFC 6120 §10.1: in-order processing). The
   *  runtime delivers the next message while a handler awaits an RPC, so without this
   *  queue a quick reply could overtake a slower one and a handler could read state
   *  the previous one has not saved yet. Empty whenever the object is idle. */
  private inbox: Promise<void> = Promise.resolve();
  private waiting = 0;

  protected inOrder(task: () => Promise<void>): Promise<void> {
    this.waiting++;
    const run = this.inbox.then(task).finally(() => void this.waiting--);
    this.inbox = run.catch(() => undefined);
    return run;
  }

  /** Tasks queued or running in `inOrder` (frames a slow handler has not reached yet). */
  protected get queued(): number {
    return this.waiting;
  }
}
