// ThrottleObject: small counters per client address, so that guessing passwords or
// creating accounts from one place gets slower (src/stream/sasl-exchange.ts,
// src/server/registration.ts). The instance named SERVER_SECRET_OBJECT also keeps the
// deployment's random server secret (src/stream/server-secret.ts).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";

const WINDOW_MS = 15 * 60 * 1000;
const SECRET_BYTES = 32;

export class ThrottleObject extends DurableObject<Env> {
  /** Records an event; returns the events in the current window (15 minutes unless given). */
  async hit(windowMs: number = WINDOW_MS): Promise<number> {
    const now = Date.now();
    const kv = this.ctx.storage.kv;
    const since = kv.get<number>("since") ?? 0;
    const count = now - since > windowMs ? 1 : (kv.get<number>("count") ?? 0) + 1;
    if (count === 1) kv.put("since", now);
    kv.put("count", count);
    return count;
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
