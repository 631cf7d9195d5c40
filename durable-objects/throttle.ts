// ThrottleObject: small counters per client address, so that guessing passwords or
// creating accounts from one place gets slower (src/stream/sasl-exchange.ts,
// src/server/registration.ts). The instance named SERVER_SECRET_OBJECT also keeps the
// deployment's random server secret (src/stream/server-secret.ts).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";
import type { ThrottlePort } from "../src/ports/ports";
import { RollingWindow } from "../src/storage/rolling-window";

const WINDOW_MS = 15 * 60 * 1000;
const SECRET_BYTES = 32;

export class ThrottleObject extends DurableObject<Env> implements ThrottlePort {
  /** Records an event; returns the events in the current window (15 minutes unless given). */
  async hit(windowMs: number = WINDOW_MS): Promise<number> {
    return new RollingWindow(this.ctx.storage.kv, "window").hit(windowMs);
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
