// What every scenario needs: logging accounts in with bounded concurrency, closing them.
import { Client } from "../lib/xmpp.mjs";
import { cpuWindow, sleep } from "../lib/stats.mjs";

export const PASSWORD = "bench-password";

/** Runs `fn` over `items` with at most `concurrency` at a time; results in order. */
export async function pool(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Logs accounts in (login + initial presence), returns the clients, frames discarded. */
export async function loginAll(target, bares, { concurrency = 20 } = {}) {
  const clients = await pool(bares, concurrency, async (bare) => {
    const c = new Client(target.wsUrl, { bare, password: PASSWORD, mechanism: target.mechanism, sm: target.sm === true });
    await c.login();
    c.onFrame = () => {};
    c.presence();
    return c;
  });
  await sleep(300);
  return clients;
}

export async function closeAll(clients) {
  await Promise.all(clients.map((c) => c.closeAndWait()));
}

export const pingFrame = (c, id) => `<iq from='${c.full}' to='${c.host}' type='get' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`;

/**
 * The measured part of a scenario: a warm-up, then `durationMs` (or until `isStopped()`)
 * with `setMeasuring(true)`; returns the server's CPU window over that time.
 */
export async function measuredWindow(target, warmupMs, durationMs, isStopped, setMeasuring) {
  await sleep(warmupMs);
  const end = cpuWindow(target.server);
  setMeasuring(true);
  const deadline = Date.now() + durationMs;
  while (!isStopped() && Date.now() < deadline) await sleep(50);
  setMeasuring(false);
  return end();
}
