#!/usr/bin/env node
// Logins of two or more gateway trees against the floor, in alternating rounds: an A/B of
// a change to the login path that the `connect` scenario (each target in turn, once) is too
// noisy to resolve on a shared machine. Every round logs R fresh accounts into each target
// (floor, then each tree), 25 at a time, the way `connect` does (connect, SASL, restart,
// bind, initial presence, one ping), and closes them; the accounts' objects have been idle
// long enough to be evicted, so each login wakes its account as a first login would.
//
//   node bench/login-ab.mjs --revs=HEAD,84636c3 [--n=400] [--rounds=5] [--mechanism=PLAIN]
//
// Prints logins/s and server CPU per login (both workerd processes, as in `connect`) per
// round, then the means and their ratios to the floor's. Also the CPU of the busier workerd
// process alone: the one running the isolate that the Worker and every object share under
// `wrangler dev` (the other one is the proxy in front of it), and how busy it was.
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts, processCpuMs, snapshotWorker, startWrangler } from "./lib/proc.mjs";
import { Client } from "./lib/xmpp.mjs";
import { cpuWindow, quiet, sleep } from "./lib/stats.mjs";
import { pingFrame, pool, PASSWORD } from "./scenarios/common.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const option = (name, fallback) => process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const revs = option("revs", "HEAD").split(",");
const n = Number(option("n", 400));
const rounds = Number(option("rounds", 5));
const mechanism = option("mechanism", "PLAIN");
const stateDir = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const IN_FLIGHT = 25;
const TOKEN = "login-ab";
const config = { hosts: { localhost: { registration: false } }, limits: { rate_per_second: 1_000_000, burst: 1_000_000 } };

const buildDir = mkdtempSync(join(stateDir, "login-ab-"));
const servers = [];
const stop = () => Promise.all(servers.map((s) => s.stop())).then(() => rmSync(buildDir, { recursive: true, force: true }));
process.on("SIGINT", () => stop().then(() => process.exit(130)));

async function loginAll(target, bares) {
  return pool(bares, IN_FLIGHT, async (bare) => {
    const c = new Client(target.server.wsUrl, { bare, password: PASSWORD, mechanism: target.mechanism });
    await c.login();
    c.presence();
    c.send(pingFrame(c, "login-ping"));
    await c.nextMatching((f) => f.startsWith("<iq") && f.includes("login-ping"));
    c.onFrame = () => {};
    return c;
  });
}

try {
  const ports = await freePorts(2 + 2 * revs.length);
  const targets = [{ name: "floor", mechanism: "PLAIN", server: await startWrangler({ root, name: "floor", port: ports[0], inspectorPort: ports[1], configFile: "bench/floor/wrangler.toml", stateDir }) }];
  servers.push(targets[0].server);
  for (const [i, rev] of revs.entries()) {
    const tree = join(buildDir, `tree${i}`);
    mkdirSync(tree);
    execSync(`git -C ${JSON.stringify(root)} archive ${rev} | tar -x -C ${JSON.stringify(tree)}`);
    symlinkSync(join(root, "node_modules"), join(tree, "node_modules"));
    const snapDir = join(buildDir, `snapshot${i}`);
    mkdirSync(snapDir);
    const snap = await snapshotWorker(tree, "wrangler.toml", snapDir);
    const server = await startWrangler({
      root, name: `gateway-${i}`, port: ports[2 + 2 * i], inspectorPort: ports[3 + 2 * i], readyPath: "/health", stateDir, configFile: snap.config,
      vars: { ADMIN_TOKEN: TOKEN, XMPP_CONFIG: JSON.stringify(config) },
    });
    servers.push(server);
    const name = `${rev} (${execSync(`git -C ${JSON.stringify(root)} rev-parse --short ${rev}`).toString().trim()})`;
    targets.push({ name, mechanism, server });
  }
  const bares = Array.from({ length: n * rounds }, (_, i) => `c${i}@localhost`);
  for (const t of targets.slice(1)) {
    await pool(bares, 8, async (bare) => {
      const res = await fetch(`${t.server.url}/admin/users/${encodeURIComponent(bare)}`, {
        method: "PUT", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ password: PASSWORD }),
      });
      if (res.status !== 201 && res.status !== 204) throw new Error(`PUT ${bare}: ${res.status}`);
    });
  }
  await sleep(12_000); // the accounts' objects are evicted after 10 s without events (local workerd)
  const runs = new Map(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      await quiet(t.server, 10_000);
      const window = cpuWindow(t.server);
      const before = processCpuMs(t.server.pgid, "workerd");
      const clients = await loginAll(t, bares.slice(r * n, (r + 1) * n));
      const w = window();
      const after = processCpuMs(t.server.pgid, "workerd");
      const isolateMs = Math.max(...[...after].map(([pid, ms]) => ms - (before.get(pid) ?? 0)));
      const run = { perSec: n / (w.wallMs / 1000), cpuMs: w.cpuMs / n, isolateMs: isolateMs / n, isolateBusy: isolateMs / w.wallMs };
      runs.get(t.name).push(run);
      console.log(`round ${r + 1}: ${t.name.padEnd(24)} ${run.perSec.toFixed(0).padStart(5)} logins/s   ${run.cpuMs.toFixed(2).padStart(6)} ms CPU per login, ` +
        `of which the isolate's process ${run.isolateMs.toFixed(2)} ms (${run.isolateBusy.toFixed(2)} of a core)`);
      await Promise.all(clients.map((c) => c.closeAndWait()));
    }
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const floor = runs.get("floor");
  const [fps, fcpu] = [mean(floor.map((x) => x.perSec)), mean(floor.map((x) => x.cpuMs))];
  console.log(`\n${n} logins per target and round, ${rounds} rounds, ${IN_FLIGHT} in flight, gateway ${mechanism}; load ${execSync("cat /proc/loadavg").toString().split(" ").slice(0, 3).join(", ")}`);
  for (const [name, xs] of runs) {
    const [ps, cpu] = [mean(xs.map((x) => x.perSec)), mean(xs.map((x) => x.cpuMs))];
    const [iso, busy] = [mean(xs.map((x) => x.isolateMs)), mean(xs.map((x) => x.isolateBusy))];
    console.log(`${name.padEnd(24)} ${ps.toFixed(0).padStart(5)} logins/s (${(ps / fps).toFixed(2)}× the floor)   ${cpu.toFixed(2).padStart(6)} ms CPU per login (${(cpu / fcpu).toFixed(2)}×); ` +
      `isolate's process ${iso.toFixed(2)} ms per login, ${busy.toFixed(2)} of a core`);
  }
} finally {
  await stop();
}
