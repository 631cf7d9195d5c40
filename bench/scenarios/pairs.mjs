// pairs: N/2 pairs of accounts exchange chat messages ping-pong (one message in flight
// per pair). Without options the messages carry a XEP-0334 <no-store/> hint and no client
// enables carbons: nothing is archived or copied. With { carbons: true } every client
// enables XEP-0280 carbons; with { archive: true } the hint goes and every message is
// archived twice (the sender's and the recipient's archive). Returns the measurement window (messages delivered, their latencies from
// the send timestamp carried in the body, wall and server CPU time); run.mjs turns
// windows into figures.
import { attr, childText } from "../lib/xmpp.mjs";
import { quiet, sleep } from "../lib/stats.mjs";
import { closeAll, loginAll, measuredWindow } from "./common.mjs";

export async function pairs(target, { accounts, warmupMs, durationMs, maxMessages, carbons = false, archive = false }) {
  const clients = await loginAll(target, accounts);
  if (carbons) for (const c of clients) await c.enableCarbons();
  const hint = archive ? "" : "<no-store xmlns='urn:xmpp:hints'/>";
  await quiet(target.server, 5000);
  let measuring = false;
  let stopped = false;
  let delivered = 0;
  let errors = 0;
  const latencies = [];
  let seq = 0;
  const send = (from, to) => {
    from.send(`<message from='${from.full}' to='${to.full}' type='chat' id='m${seq++}'><body>${performance.now().toFixed(3)}</body>${hint}</message>`);
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
