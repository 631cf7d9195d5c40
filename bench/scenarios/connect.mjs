// connect: C accounts log in (connect + SASL + restart + bind + initial presence, then
// one ping answered by the server, so the presence has been taken in) with a bounded
// number of logins in flight. Figures: logins per second, login latency, server CPU per
// login; then, with all C connections idle, workerd RSS per connection right after the
// logins and after the objects had time to hibernate, and the server CPU while idle.
import { Client } from "../lib/xmpp.mjs";
import { cpuWindow, percentiles, quiet, round, sleep } from "../lib/stats.mjs";
import { sample } from "../lib/proc.mjs";
import { closeAll, pingFrame, pool, PASSWORD } from "./common.mjs";

const IN_FLIGHT = 25;

async function loginOnce(target, bare, mechanism) {
  const t0 = performance.now();
  const c = new Client(target.wsUrl, { bare, password: PASSWORD, mechanism });
  await c.login();
  c.presence();
  c.send(pingFrame(c, "login-ping"));
  await c.nextMatching((f) => f.startsWith("<iq") && f.includes("login-ping"));
  c.onFrame = () => {};
  return { c, ms: performance.now() - t0 };
}

async function run(target, bares, mechanism, { idleWaitMs, idleMeasureMs, idle = true }) {
  await quiet(target.server, 10_000);
  const before = sample(target.server.pgid).workerdRssKiB;
  const end = cpuWindow(target.server);
  const logins = await pool(bares, IN_FLIGHT, (bare) =>
    loginOnce(target, bare, mechanism).catch((e) => {
      throw new Error(`${target.name}: login of ${bare} failed: ${e.message}`);
    }),
  );
  const w = end();
  const clients = logins.map((l) => l.c);
  const c = clients.length;
  const result = {
    c,
    mechanism: clients[0]?.mechanism ?? null,
    loginsPerSec: round(c / (w.wallMs / 1000), 0),
    loginMs: percentiles(logins.map((l) => l.ms)),
    cpuMsPerLogin: round(w.cpuMs / c, 2),
    wranglerNodeCpuMsPerLogin: round(w.otherCpuMs / c, 2),
    generatorCoresBusy: round(w.generatorCpuMs / w.wallMs, 2),
    serverCoresBusy: round(w.cpuMs / w.wallMs, 2),
  };
  if (idle) {
    await sleep(500);
    const active = sample(target.server.pgid).workerdRssKiB;
    await sleep(idleWaitMs); // long enough for idle objects to hibernate
    const idleWindow = cpuWindow(target.server);
    await sleep(idleMeasureMs);
    const iw = idleWindow();
    Object.assign(result, {
      rssBeforeMiB: round(before / 1024, 1),
      rssActiveMiB: round(active / 1024, 1),
      rssIdleMiB: round(iw.rssKiB / 1024, 1),
      kibPerConnActive: round((active - before) / c, 1),
      kibPerConnIdle: round((iw.rssKiB - before) / c, 1),
      idleCpuMsPerSec: round(iw.cpuMs / (iw.wallMs / 1000), 1),
    });
  }
  await closeAll(clients);
  await quiet(target.server, 20_000);
  return result;
}

export async function connect(target, { accounts, cs, idleWaitMs, idleMeasureMs, plain = true }) {
  const runs = [];
  for (const c of cs) runs.push(await run(target, accounts.slice(0, c), target.mechanism, { idleWaitMs, idleMeasureMs }));
  const out = { inFlight: IN_FLIGHT, runs };
  // The gateway also offers PLAIN: the server then derives the key itself (PBKDF2).
  if (plain && target.name === "gateway") out.plain = await run(target, accounts.slice(0, cs[0]), "PLAIN", { idle: false });
  return out;
}
