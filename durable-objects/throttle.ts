// ThrottleObject: counts recent authentication failures for one client address,
// so guessing passwords from one place gets slower (see src/stream/sasl-exchange.ts).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env";

const WINDOW_MS = 15 * 60 * 1000;

export class ThrottleObject extends DurableObject<Env> {
  /** Records a failure; returns the failures in the current window. */
  async hit(): Promise<number> {
    const now = Date.now();
    const kv = this.ctx.storage.kv;
    const since = kv.get<number>("since") ?? 0;
    const count = now - since > WINDOW_MS ? 1 : (kv.get<number>("count") ?? 0) + 1;
    if (count === 1) kv.put("since", now);
    kv.put("count", count);
    return count;
  }
}
