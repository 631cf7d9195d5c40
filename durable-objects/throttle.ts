// ThrottleObject: small counters per client address, so that guessing passwords or
// creating accounts from one place gets slower (src/stream/sasl-exchange.ts,
// src/server/registration.ts). The instance named SERVER_SECRET_OBJECT also keeps the
// deployment's random server secret (src/stream/server-secret.ts).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import type { ThrottlePort } from "../src/ports/ports";
import { RollingWindow } from "../src/storage/rolling-window";
import { MAX_FAILURE_WAIT_MS, throttleDelayMs } from "../src/stream/failure-delay";

const WINDOW_MS = 15 * 60 * 1000;
const SECRET_BYTES = 32;

export class ThrottleObject extends DurableObject<Env> implements ThrottlePort {
  /** Records an event; returns the events in the current window (15 minutes unless given). */
  async hit(windowMs: number = WINDOW_MS): Promise<number> {
    return new RollingWindow(this.ctx.storage.kv, "window").hit(windowMs);
  }

  /**
   * Records a failure (a wrong password, a wrong component handshake) and returns how long
   * its answer must wait. The waits of one key are serialised: parallel connections guessing
   * the same account, or from the same address, queue behind each other instead of each
   * waiting its own few seconds.
   */
  async fail(threshold: number): Promise<number> {
    const kv = this.ctx.storage.kv;
    const now = Date.now();
    const delay = throttleDelayMs(new RollingWindow(kv, "window").hit(WINDOW_MS, now), threshold);
    if (!delay) return 0;
    const slot = Math.max(now, kv.get<number>("slot") ?? 0) + delay;
    kv.put("slot", slot);
    return Math.min(slot - now, MAX_FAILURE_WAIT_MS);
  }

  /** Forgets the failures counted (a successful login). */
  async clear(): Promise<void> {
    new RollingWindow(this.ctx.storage.kv, "window").clear();
  }

  /** 32 random bytes (base64), made on first use and kept for good. */
  async serverSecret(): Promise<string> {
    const kv = this.ctx.storage.kv;
    const known = kv.get<string>("secret");
    if (known) return known;
    const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
    const secret = btoa(String.fromCharCode(...bytes));
    kv.put("secret", secret);
    return secret;
  }
}
