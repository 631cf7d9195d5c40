// pairs: N/2 pairs of accounts exchange chat messages ping-pong (one message in flight
// per pair). Returns the measurement window (messages delivered, their latencies from
// the send timestamp carried in the body, wall and server CPU time); run.mjs turns
// windows into figures.
import { attr, childText } from "../lib/xmpp.mjs";
import { quiet, sleep } from "../lib/stats.mjs";
import { closeAll, loginAll, measuredWindow } from "./common.mjs";

export async function pairs(target, { accounts, warmupMs, durationMs, maxMessages }) {
  const clients = await loginAll(target, accounts);
  await quiet(target.server, 5000);
  let measuring = false;
  let stopped = false;
  let delivered = 0;
  let errors = 0;
  const latencies = [];
  let seq = 0;
  const send = (from, to) => {
    from.send(`<message from='${from.full}' to='${to.full}' type='chat' id='m${seq++}'><body>${performance.now().toFixed(3)}</body></message>`);
  };
  const lastSeen = new Map(); // pair index → time of its last delivery
  for (let i = 0; i + 1 < clients.length; i += 2) {
    const [a, b] = [clients[i], clients[i + 1]];
    const onFrame = (self, peer) => (frame) => {
      if (!frame.startsWith("<message")) return;
      lastSeen.set(i, performance.now());
      if (attr(frame, "type") === "error") {
        errors++;
        return;
      }
      const sent = Number(childText(frame, "body"));
      if (measuring) {
        delivered++;
        latencies.push(performance.now() - sent);
        if (delivered >= maxMessages) stopped = true;
      }
      if (!stopped) send(self, peer);
    };
    a.onFrame = onFrame(a, b);
    b.onFrame = onFrame(b, a);
    send(a, b);
  }
  const w = await measuredWindow(target, warmupMs, durationMs, () => stopped, (on) => (measuring = on));
  stopped = true;
  // A pair whose message got lost stops playing: count those silent for the last second.
  const now = performance.now();
  let stalled = 0;
  for (let i = 0; i + 1 < clients.length; i += 2) if (now - (lastSeen.get(i) ?? 0) > 1000) stalled++;
  await sleep(300);
  await closeAll(clients);
  await quiet(target.server);
  return { pairs: Math.floor(clients.length / 2), errors, stalled, window: { count: delivered, latencies, wallMs: w.wallMs, cpuMs: w.cpuMs, otherCpuMs: w.otherCpuMs, generatorCpuMs: w.generatorCpuMs } };
}
