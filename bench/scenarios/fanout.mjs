// fanout: one account with K mutual contacts (all online) changes its presence
// repeatedly; every change must reach all K contacts. A few changes are kept in
// flight. Figures per K: presences delivered per second, delivery latency (the send
// timestamp travels in <status/>), server CPU per delivered presence.
//
// Subscriptions are set up through the protocol (RFC 6121 §3.1): star → subscribe,
// contact → subscribed + subscribe, star → subscribed. K grows run by run: contacts
// of the previous run stay online and subscribed.
import { attr, childText, Client } from "../lib/xmpp.mjs";
import { percentiles, quiet, round, sleep } from "../lib/stats.mjs";
import { closeAll, loginAll, pool, PASSWORD, measuredWindow } from "./common.mjs";

const IN_FLIGHT = 4; // presence changes outstanding at a time
const ROUND_TIMEOUT_MS = 5000;

const bareOf = (j) => (j.indexOf("/") < 0 ? j : j.slice(0, j.indexOf("/")));

// A resource that has not asked for its roster is not "interested" (RFC 6121 §2.1.6):
// Prosody then keeps subscription stanzas from it. Every client here asks first.
const ROSTER_GET = "<iq type='get' id='roster0'><query xmlns='jabber:iq:roster'/></iq>";

async function subscribe(target, star, contacts) {
  for (const c of contacts) c.send(ROSTER_GET);
  const byBare = new Map(contacts.map((c) => [c.bare, c]));
  const pending = new Map();
  star.onFrame = (frame) => {
    if (!frame.startsWith("<presence") || attr(frame, "type") !== "subscribe") return;
    const from = bareOf(attr(frame, "from") ?? "");
    if (byBare.has(from)) star.send(`<presence from='${star.full}' to='${from}' type='subscribed'/>`);
  };
  const done = contacts.map((c) => new Promise((resolve) => pending.set(c.bare, resolve)));
  const seen = new Map(contacts.map((c) => [c.bare, []]));
  for (const c of contacts) {
    c.onFrame = (frame) => {
      if (!frame.startsWith("<presence")) return;
      const type = attr(frame, "type");
      seen.get(c.bare).push(type ?? "available");
      if (type === "subscribe") {
        c.send(`<presence from='${c.full}' to='${star.bare}' type='subscribed'/>`);
        c.send(`<presence from='${c.full}' to='${star.bare}' type='subscribe'/>`);
      } else if (type === "subscribed") pending.get(c.bare)?.();
    };
  }
  await pool(contacts, 50, async (c) => {
    const finished = done[contacts.indexOf(c)].then(() => true);
    // A lost or reordered exchange is retried: the steps are idempotent (RFC 6121 §3.1).
    for (let attempt = 0; attempt < 4; attempt++) {
      star.send(`<presence from='${star.full}' to='${c.bare}' type='subscribe'/>`);
      if (await Promise.race([finished, sleep(5000).then(() => false)])) return;
    }
    const got = seen.get(c.bare).join(",") || "nothing";
    throw new Error(`${target.name}: subscription of ${c.bare} did not complete (it received: ${got}; socket ${c.closed ? "closed" : "open"})`);
  });
}

/** `subscribed`: how many of `contacts` are already mutual contacts of the star (a re-run). */
export async function fanout(target, { star: starBare, contacts: contactBares, ks, subscribed = 0, warmupMs, durationMs, maxMessages }) {
  const star = new Client(target.wsUrl, { bare: starBare, password: PASSWORD, mechanism: target.mechanism, sm: target.sm === true });
  await star.login();
  star.onFrame = () => {};
  star.send(ROSTER_GET);
  star.presence();
  const online = [];
  const runs = [];
  try {
    for (const k of ks) {
      const added = await loginAll(target, contactBares.slice(online.length, k));
      const t0 = performance.now();
      await subscribe(target, star, added.slice(Math.max(0, subscribed - online.length)));
      online.push(...added);
      const setupSec = (performance.now() - t0) / 1000;
      await quiet(target.server, 10_000);
      runs.push({ k, setupSubscriptionsSec: round(setupSec, 1), ...(await measure(target, star, online, { warmupMs, durationMs, maxMessages })) });
    }
  } finally {
    await closeAll([star, ...online]);
    await quiet(target.server, 15_000);
  }
  return { inFlight: IN_FLIGHT, runs };
}

async function measure(target, star, contacts, { warmupMs, durationMs, maxMessages }) {
  const k = contacts.length;
  const outstanding = new Map(); // seq → deliveries still expected
  let measuring = false;
  let stopped = false;
  let delivered = 0;
  let lostRounds = 0;
  let seq = 0;
  const latencies = [];
  const change = () => {
    if (stopped) return;
    const n = seq++;
    const timer = setTimeout(() => {
      if (outstanding.delete(n)) {
        lostRounds++;
        change();
      }
    }, ROUND_TIMEOUT_MS);
    outstanding.set(n, { left: k, timer });
    star.send(`<presence from='${star.full}'><show>${n % 2 ? "away" : "xa"}</show><status>f ${n} ${performance.now().toFixed(3)}</status></presence>`);
  };
  star.onFrame = () => {};
  for (const c of contacts) {
    c.onFrame = (frame) => {
      if (!frame.startsWith("<presence")) return;
      const status = childText(frame, "status");
      if (!status || !status.startsWith("f ")) return;
      const [, n, ts] = status.split(" ");
      const round_ = outstanding.get(Number(n));
      if (measuring) {
        delivered++;
        latencies.push(performance.now() - Number(ts));
        if (delivered >= maxMessages) stopped = true;
      }
      if (round_ && --round_.left === 0) {
        clearTimeout(round_.timer);
        outstanding.delete(Number(n));
        change();
      }
    };
  }
  for (let i = 0; i < IN_FLIGHT; i++) change();
  const w = await measuredWindow(target, warmupMs, durationMs, () => stopped, (on) => (measuring = on));
  stopped = true;
  for (const r of outstanding.values()) clearTimeout(r.timer);
  await sleep(500);
  await quiet(target.server, 10_000);
  return {
    presenceChanges: seq,
    delivered,
    lostRounds,
    deliveredPerSec: round(delivered / (w.wallMs / 1000), 0),
    latencyMs: percentiles(latencies),
    cpuUsPerDelivery: delivered ? round((w.cpuMs * 1000) / delivered, 1) : null,
    cpuCoresBusy: round(w.cpuMs / w.wallMs, 2),
    generatorCoresBusy: round(w.generatorCpuMs / w.wallMs, 2),
  };
}
