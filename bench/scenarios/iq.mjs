// iq: each client keeps one XEP-0199 ping to the server in flight; the server answers
// it (on the floor: echoes it). Returns the measurement window (round trips, their
// latencies, wall and server CPU time).
import { attr } from "../lib/xmpp.mjs";
import { quiet, sleep } from "../lib/stats.mjs";
import { closeAll, loginAll, pingFrame, measuredWindow } from "./common.mjs";

export async function iq(target, { accounts, warmupMs, durationMs, maxMessages }) {
  const clients = await loginAll(target, accounts);
  await quiet(target.server, 5000);
  let measuring = false;
  let stopped = false;
  let count = 0;
  let errors = 0;
  const latencies = [];
  for (const c of clients) {
    let n = 0;
    let sentAt = 0;
    const next = () => {
      sentAt = performance.now();
      c.send(pingFrame(c, `ping${++n}`));
    };
    c.onFrame = (frame) => {
      if (!frame.startsWith("<iq") || attr(frame, "id") !== `ping${n}`) return;
      if (attr(frame, "type") !== "result") errors++;
      if (measuring) {
        count++;
        latencies.push(performance.now() - sentAt);
        if (count >= maxMessages) stopped = true;
      }
      if (!stopped) next();
    };
    next();
  }
  const w = await measuredWindow(target, warmupMs, durationMs, () => stopped, (on) => (measuring = on));
  stopped = true;
  await sleep(300);
  await closeAll(clients);
  await quiet(target.server);
  return { clients: clients.length, errors, window: { count, latencies, wallMs: w.wallMs, cpuMs: w.cpuMs, otherCpuMs: w.otherCpuMs, generatorCpuMs: w.generatorCpuMs } };
}
