// connect: accounts log in (connect + SASL + restart + bind + initial presence, then
// one ping answered by the server, so the presence has been taken in) with a bounded
// number of logins in flight, in cumulative steps: up to C = cs[0] connections, then
// more up to cs[1], ... all kept open. Figures per step: logins per second, login
// latency, server CPU per login; then, with every connection idle, workerd RSS per
// connection (over the RSS before the first login) right after the step and after the
// objects had time to hibernate, the marginal RSS of the step's new connections, and
// the server CPU while idle.
//
// The steps log in with `target.connectMechanism` (the gateway: PLAIN, as the floor, so
// that logins/s compare the same job: issue 13 sets SCRAM's own hashing apart) or else
// `target.mechanism`; `also` adds one step of C = cs[0] on the gateway with that
// mechanism (SCRAM-SHA-1: the client derives the key, the server checks a proof).
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

async function loginStep(target, bares, mechanism) {
  const end = cpuWindow(target.server);
  const logins = await pool(bares, IN_FLIGHT, (bare) =>
    loginOnce(target, bare, mechanism).catch((e) => {
      throw new Error(`${target.name}: login of ${bare} failed: ${e.message}`);
    }),
  );
  const w = end();
  const n = logins.length;
  return {
    clients: logins.map((l) => l.c),
    figures: {
      logins: n,
      mechanism: logins[0]?.c.mechanism ?? null,
      loginsPerSec: round(n / (w.wallMs / 1000), 0),
      loginMs: percentiles(logins.map((l) => l.ms)),
      cpuMsPerLogin: round(w.cpuMs / n, 2),
      wranglerNodeCpuMsPerLogin: round(w.otherCpuMs / n, 2),
      generatorCoresBusy: round(w.generatorCpuMs / w.wallMs, 2),
      serverCoresBusy: round(w.cpuMs / w.wallMs, 2),
    },
  };
}

export async function connect(target, { accounts, cs, idleWaitMs, idleMeasureMs, also = "SCRAM-SHA-1" }) {
  const mechanism = target.connectMechanism ?? target.mechanism;
  await quiet(target.server, 10_000);
  const base = sample(target.server.pgid, target.server.serverComms).workerdRssKiB;
  const open = [];
  const runs = [];
  let prev = { c: 0, idleKiB: base };
  try {
    for (const c of cs) {
      const step = await loginStep(target, accounts.slice(open.length, c), mechanism);
      open.push(...step.clients);
      await sleep(500);
      const active = sample(target.server.pgid, target.server.serverComms).workerdRssKiB;
      await sleep(idleWaitMs); // long enough for idle objects to hibernate
      const idleWindow = cpuWindow(target.server);
      await sleep(idleMeasureMs);
      const iw = idleWindow();
      runs.push({
        c,
        ...step.figures,
        rssBeforeMiB: round(base / 1024, 1),
        rssActiveMiB: round(active / 1024, 1),
        rssIdleMiB: round(iw.rssKiB / 1024, 1),
        kibPerConnActive: round((active - base) / c, 1),
        kibPerConnIdle: round((iw.rssKiB - base) / c, 1),
        kibPerConnIdleMarginal: round((iw.rssKiB - prev.idleKiB) / (c - prev.c), 1),
        idleCpuMsPerSec: idleMeasureMs ? round(iw.cpuMs / (iw.wallMs / 1000), 1) : null,
      });
      prev = { c, idleKiB: iw.rssKiB };
    }
  } finally {
    await closeAll(open);
    await quiet(target.server, 20_000);
  }
  const out = { inFlight: IN_FLIGHT, runs };
  // The gateway with the other mechanism, once (C = cs[0]).
  if (also && also !== mechanism && target.name === "gateway") {
    const step = await loginStep(target, accounts.slice(0, cs[0]), also);
    await closeAll(step.clients);
    await quiet(target.server, 20_000);
    out.also = { c: cs[0], ...step.figures };
  }
  return out;
}
