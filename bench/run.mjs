#!/usr/bin/env node
// `npm run bench`: measures the gateway against the platform's floor (bench/floor) in
// one run. Starts both under `wrangler dev` (own process groups, fresh state, free
// ports), provisions accounts through the admin API, drives every scenario from this
// process over real WebSockets, prints each figure with its ratio to the floor, and
// stops both servers. See the README, "Benchmarks".
//
//   npm run bench                 full run (each scenario's window ≤ 20 s)
//   npm run bench -- --quick      smoke run: small N, 3 s windows
//   npm run bench -- --json       machine-readable results on stdout (progress on stderr)
//   npm run bench -- --markdown   also print the figures as a Markdown table at the end
//                                 (or later: node bench/lib/report.mjs results.json)
//   npm run bench -- --only=pairs,iq   a subset of: pairs fanout connect iq delegated
//   npm run bench -- --fanout-k=10,500 --connect-c=1000 --pairs=20 --duration=5   overrides
//   npm run bench -- --connect-mechanism=SCRAM-SHA-1  the gateway's logins in the connect steps
//                                 (default PLAIN, as the floor's; the other one gets one step)
//   npm run bench -- --port-base=8830  take ports from 8830 upwards instead of kernel-chosen ones
//   npm run bench -- --profile=pairs,pairs-sm,pairs-archive,fanout,iq,delegated,direct  after the measurements, profile the
//                                 gateway's isolate (inspector, CDP Profiler) during an extra run
//   npm run bench -- --profile-out=DIR  also write the raw .cpuprofile files there
//   npm run bench -- --live-source  run wrangler dev on src/ (rebuilds and reloads on edits)
//                                 instead of on a bundle of the sources taken at start
//   npm run bench -- --show-logs    print the end of both servers' logs before stopping them
//   npm run bench -- --gateway-dir=DIR  build the gateway from another checkout (A/B runs)
//   npm run bench -- --gateway-rev=HEAD  build it from a committed revision (git archive)
//   npm run bench -- --state-dir=/tmp  put the servers' persisted state there (default: /dev/shm)
//   npm run bench -- --peer prosody   also run every scenario against Prosody (or ejabberd) when
//                                 installed, and print the gateway's ratios to it beside the floor's
//   npm run bench -- --baseline-rev=REV  also a second gateway built from REV (git archive), measured
//                                 in the same alternating rounds: an A/B of two trees in one run
import { randomBytes } from "node:crypto";
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts, groupProcesses, snapshotWorker, startWrangler } from "./lib/proc.mjs";
import { figures, fmt, mergeWindows, ratio } from "./lib/stats.mjs";
import { scramClientCost } from "./lib/xmpp.mjs";
import { findBundle, sourceMapOf, startProfile, summarise } from "./lib/profile.mjs";
import { markdownTable } from "./lib/report.mjs";
import { missingPeer, peerComponent, startPeer } from "./lib/peer.mjs";
import { registerInBand } from "./lib/register.mjs";
import { pool, PASSWORD } from "./scenarios/common.mjs";
import { pairs } from "./scenarios/pairs.mjs";
import { fanout } from "./scenarios/fanout.mjs";
import { connect } from "./scenarios/connect.mjs";
import { iq } from "./scenarios/iq.mjs";
import { delegated } from "./scenarios/delegated.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const json = flag("json");
const quick = flag("quick");
const only = new Set((option("only") ?? "pairs,fanout,connect,iq,delegated").split(","));
const portBase = option("port-base") ? Number(option("port-base")) : undefined;
// Where the fresh --persist-to directories go. Default: /dev/shm (RAM) when present, so
// that the shared VM's disk does not set the pace (each new object is a new SQLite file).
const stateDir = option("state-dir") ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const profileOf = new Set((option("profile") ?? "").split(",").filter(Boolean));
const log = (...a) => (json ? console.error(...a) : console.log(...a));
// --peer prosody | --peer=ejabberd: a third target, started from a temporary directory (bench/lib/peer.mjs).
const peerName = option("peer") ?? (argv.includes("--peer") ? argv[argv.indexOf("--peer") + 1] : undefined);
// --baseline-rev=REV: the third target is a second gateway, built from REV.
const baselineRev = option("baseline-rev");
if (baselineRev && peerName) {
  console.error("bench: --peer and --baseline-rev take the same third place; use one");
  process.exit(2);
}
const thirdName = peerName ?? (baselineRev ? `gateway@${baselineRev}` : undefined);
if (peerName !== undefined) {
  const why = missingPeer(peerName);
  if (why) {
    console.error(`bench: --peer ${peerName}: ${why}`);
    process.exit(2);
  }
}

// The gateway's mechanism in the connect scenario's steps; the other one gets one extra step.
const connectMechanism = option("connect-mechanism") ?? "PLAIN";
if (!["PLAIN", "SCRAM-SHA-1"].includes(connectMechanism)) {
  console.error("bench: --connect-mechanism is PLAIN or SCRAM-SHA-1");
  process.exit(2);
}

const HOST = "localhost";
const COMPONENT = "bench.localhost";
const COMPONENT_SECRET = "bench-component-secret";
const BENCH_NS = "urn:xmpp-edge:bench:0";

const P = quick
  ? { pairs: 5, fanoutK: [10, 50], connectC: [50, 100], iqClients: 10, delegatedClients: 5, warmupMs: 500, durationMs: 3000, idleWaitMs: 3000, idleMeasureMs: 2000 }
  : { pairs: 50, fanoutK: [10, 100, 500], connectC: [200, 1000], iqClients: 50, delegatedClients: 10, warmupMs: 1000, durationMs: 10_000, idleWaitMs: 15_000, idleMeasureMs: 5000 };
// Overrides, e.g. --fanout-k=10,500 --connect-c=1000 --pairs=20 --duration=5
const list = (name) => option(name)?.split(",").map(Number);
if (list("fanout-k")) P.fanoutK = list("fanout-k");
if (list("connect-c")) P.connectC = list("connect-c");
if (option("pairs")) P.pairs = Number(option("pairs"));
if (option("duration")) P.durationMs = Math.min(20, Number(option("duration"))) * 1000;
const maxMessages = 2_000_000; // count bound on top of the time bound
const ROUNDS = 2;

const jid = (prefix, i) => `${prefix}${i}@${HOST}`;
const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));
const accounts = {
  pairs: range(P.pairs * 2, (i) => jid("p", i)),
  fanoutStar: jid("fstar", 0),
  fanout: range(Math.max(...P.fanoutK), (i) => jid("f", i)),
  // The SM variant of fanout gets accounts of its own: the plain run leaves its star
  // subscribed to every contact, which would make each SM broadcast go to K_max contacts.
  fanoutSmStar: jid("fsmstar", 0),
  fanoutSm: range(Math.max(...P.fanoutK), (i) => jid("fsm", i)),
  connect: range(Math.max(...P.connectC), (i) => jid("c", i)),
};

const gatewayConfig = {
  hosts: { [HOST]: { registration: false, delegations: { [BENCH_NS]: { jid: COMPONENT } } } },
  components: { [COMPONENT]: {} },
  // The per-connection rate limiter would throttle the generator: raised for the benchmark.
  limits: { rate_per_second: 1_000_000, burst: 1_000_000 },
};

async function provision(server, token, bares) {
  const t0 = performance.now();
  await pool(bares, 8, async (bare) => {
    const res = await fetch(`${server.url}/admin/users/${encodeURIComponent(bare)}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ password: PASSWORD }),
    });
    if (res.status !== 201 && res.status !== 204) throw new Error(`PUT ${bare}: ${res.status} ${await res.text()}`);
  });
  return (performance.now() - t0) / 1000;
}

const results = { machine: {}, params: { quick, ...P }, scenarios: {} };
const servers = [];
let buildDir = null;
let gatewayBundle = null;
async function stopAll() {
  // What the servers logged that looks like trouble (the logs go away with their state).
  for (const s of servers) {
    const bad = s.log().split("\n").filter((l) => /error|✘|exception|failed/i.test(l) && !/Request\.cf|workers\.cloudflare\.com|ENOTFOUND|report this error/i.test(l));
    results.machine[`${s.name}LogProblems`] = bad.length;
    results.machine[`${s.name}LogLines`] = s.log().split("\n").length;
    if (flag("show-logs")) log(`\n--- ${s.name} log (last 40 lines) ---\n${s.log().split("\n").slice(-40).join("\n")}`);
    if (bad.length) log(`\n${s.name} logged ${bad.length} error lines; the last ones:\n  ${bad.slice(-5).map((l) => l.slice(0, 300)).join("\n  ")}`);
  }
  await Promise.all(servers.map((s) => s.stop()));
  servers.length = 0;
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    await stopAll();
    process.exit(130);
  });
}

/** Which code the gateway was built from: git revision, and how many files differ from it. */
function describeTree(dir, rev) {
  try {
    if (rev) return `git ${execSync(`git -C ${JSON.stringify(root)} rev-parse --short ${rev}`).toString().trim()} (archive)`;
    const head = execSync(`git -C ${JSON.stringify(dir)} rev-parse --short HEAD`, { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    const dirty = execSync(`git --no-optional-locks -C ${JSON.stringify(dir)} status --porcelain -- src durable-objects wrangler.toml`).toString().split("\n").filter(Boolean).length;
    return `${dir} at git ${head}${dirty ? ` + ${dirty} uncommitted files in src/, durable-objects/, wrangler.toml` : ""}`;
  } catch {
    return dir;
  }
}

/** Prints one figure row: gateway value, floor value, ratio; and the peer's value and the gateway's ratio to it. */
function row(label, g, f, unit = "", p) {
  const peer = thirdName ? `   ${thirdName} ${fmt(p, unit).padStart(12)}   ratio ${fmt(ratio(g, p), "x")}` : "";
  log(`  ${label.padEnd(40)} gateway ${fmt(g, unit).padStart(12)}   floor ${fmt(f, unit).padStart(12)}   ratio ${fmt(ratio(g, f), "x")}${peer}`);
}

async function main() {
  const token = randomBytes(16).toString("hex");
  const [gp, gi, fp, fi, pc2s, phttp, pcomp] = await freePorts(thirdName ? 7 : 4, portBase);
  log(`starting gateway (:${gp}) and floor (:${fp})${thirdName ? ` and ${thirdName} (:${phttp})` : ""} ...`);
  // The gateway runs from a snapshot of the sources taken now (see snapshotWorker);
  // --live-source runs wrangler dev on src/ directly instead.
  buildDir = mkdtempSync(join(stateDir, "bench-build-"));
  // --gateway-dir=DIR builds the gateway from another checkout (A/B comparisons of a change);
  // --gateway-rev=REV from a committed revision (git archive, read-only), e.g. when the
  // working tree is in the middle of someone's edit and does not build.
  let gatewayDir = option("gateway-dir") ?? root;
  if (option("gateway-rev")) {
    gatewayDir = join(buildDir, "src-tree");
    mkdirSync(gatewayDir);
    execSync(`git -C ${JSON.stringify(root)} archive ${option("gateway-rev")} | tar -x -C ${JSON.stringify(gatewayDir)}`);
    symlinkSync(join(root, "node_modules"), join(gatewayDir, "node_modules"));
  }
  results.machine.gatewayTree = describeTree(gatewayDir, option("gateway-rev"));
  log(`  gateway built from ${results.machine.gatewayTree}`);
  const snapshot = flag("live-source")
    ? null
    : await snapshotWorker(gatewayDir, "wrangler.toml", buildDir).catch((e) => {
        throw new Error(`the gateway does not build (${gatewayDir}); --gateway-rev=HEAD benchmarks the last commit instead\n${e.message}`);
      });
  results.machine.gatewaySource = snapshot ? "snapshot (wrangler deploy --dry-run, run with no_bundle)" : "live src/";
  gatewayBundle = snapshot?.bundle ?? null;
  // The baseline's tree and snapshot, in a directory of their own under buildDir.
  let baselineSnapshot = null;
  if (baselineRev) {
    const dir = join(buildDir, "baseline");
    const tree = join(dir, "src-tree");
    mkdirSync(tree, { recursive: true });
    execSync(`git -C ${JSON.stringify(root)} archive ${baselineRev} | tar -x -C ${JSON.stringify(tree)}`);
    symlinkSync(join(root, "node_modules"), join(tree, "node_modules"));
    baselineSnapshot = await snapshotWorker(tree, "wrangler.toml", dir);
    results.machine.baselineTree = describeTree(tree, baselineRev);
    log(`  ${thirdName} built from ${results.machine.baselineTree}`);
  }
  const gatewayVars = { ADMIN_TOKEN: token, XMPP_CONFIG: JSON.stringify(gatewayConfig), COMPONENT_SECRETS: JSON.stringify({ [COMPONENT]: COMPONENT_SECRET }) };
  const started = await Promise.allSettled([
    startWrangler({
      root, name: "gateway", port: gp, inspectorPort: gi, readyPath: "/health", stateDir, configFile: snapshot?.config,
      vars: gatewayVars,
    }),
    startWrangler({ root, name: "floor", port: fp, inspectorPort: fi, configFile: "bench/floor/wrangler.toml", stateDir }),
    ...(baselineSnapshot ? [startWrangler({ root, name: thirdName, port: phttp, inspectorPort: pcomp, readyPath: "/health", stateDir, configFile: baselineSnapshot.config, vars: gatewayVars })] : []),
    ...(peerName ? [startPeer(peerName, { stateDir, ports: { c2s: pc2s, http: phttp, component: pcomp }, host: HOST, component: COMPONENT, secret: COMPONENT_SECRET, ns: BENCH_NS })] : []),
  ]);
  for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
  for (const s of started) if (s.status === "rejected") throw s.reason;
  const [gateway, floor, peer] = servers;
  for (const s of servers) {
    const procs = groupProcesses(s.pgid).map((p) => p.comm);
    log(`  ${s.name}: process group ${s.pgid}: ${procs.join(", ")}`);
    results.machine[`${s.name}Processes`] = procs;
  }
  const targets = {
    // connectMechanism: the connect scenario's steps (bench/scenarios/connect.mjs).
    gateway: { name: "gateway", server: gateway, wsUrl: gateway.wsUrl, host: HOST, mechanism: "SCRAM-SHA-1", connectMechanism },
    floor: { name: "floor", server: floor, wsUrl: floor.wsUrl, host: HOST, mechanism: "SCRAM-SHA-1" },
    // The same gateway with XEP-0198 (resumable) enabled by every client, as real clients do.
    gatewaySm: { name: "gateway+SM", server: gateway, wsUrl: gateway.wsUrl, host: HOST, mechanism: "SCRAM-SHA-1", sm: true },
  };
  if (peerName) targets.peer = { name: peerName, server: peer, wsUrl: peer.wsUrl, host: HOST, mechanism: "SCRAM-SHA-1", newComponent: peerComponent(peer) };
  if (baselineRev) {
    peer.delegation = true;
    targets.peer = { name: thirdName, server: peer, wsUrl: peer.wsUrl, host: HOST, mechanism: "SCRAM-SHA-1", connectMechanism };
  }
  const names = peer ? ["floor", "gateway", "peer"] : ["floor", "gateway"];
  results.machine.peer = thirdName ?? null;
  const all = [...accounts.pairs, accounts.fanoutStar, ...accounts.fanout, ...accounts.connect, ...(only.has("fanout") ? [accounts.fanoutSmStar, ...accounts.fanoutSm] : [])];
  const secs = await provision(gateway, token, all);
  log(`provisioned ${all.length} accounts in ${secs.toFixed(1)} s`);
  results.provisioning = { accounts: all.length, seconds: Number(secs.toFixed(1)) };
  if (baselineRev) log(`provisioned them on ${thirdName} in ${(await provision(peer, token, all)).toFixed(1)} s`);
  if (peerName) {
    const t0 = performance.now();
    await pool(all, 8, (bare) => registerInBand(peer.wsUrl, bare, PASSWORD));
    log(`registered ${all.length} accounts on ${peerName} (in-band) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const both = async (name, run) => {
    log(`\n[${name}]`);
    const out = {};
    for (const n of names) out[n] = await run(targets[n]);
    return out;
  };
  // The SM variant of a scenario (pairs, fanout): gateway without and with SM, side by side.
  const withSm = async (name, run) => {
    const r = await both(name, run);
    return { ...r, gatewaySm: await run(targets.gatewaySm) };
  };
  // Floor, gateway, floor, gateway: each gets half its window in each round, so that the
  // load other users put on the machine weighs on both alike.
  const alternate = async (run, which = names) => {
    const windows = Object.fromEntries(which.map((n) => [n, []]));
    const last = {};
    for (let i = 0; i < ROUNDS; i++) {
      for (const name of which) {
        const r = await run(targets[name], P.durationMs / ROUNDS);
        windows[name].push(r.window);
        const { window: _w, ...rest } = r;
        last[name] = { ...rest, errors: (last[name]?.errors ?? 0) + (r.errors ?? 0), stalled: (last[name]?.stalled ?? 0) + (r.stalled ?? 0) };
      }
    }
    return Object.fromEntries(which.map((n) => [n, { ...last[n], ...figures(mergeWindows(windows[n])) }]));
  };

  // A scenario that fails is reported and the others still run.
  const section = async (name, fn) => {
    try {
      await fn();
    } catch (e) {
      log(`  ${name} FAILED: ${e instanceof Error ? e.message : e}`);
      results.scenarios[name] = { error: e instanceof Error ? e.message : String(e) };
    }
  };

  if (only.has("pairs")) await section("pairs", async () => {
    log("\n[pairs]");
    const r = await alternate((t, durationMs) => pairs(t, { accounts: accounts.pairs, warmupMs: P.warmupMs, durationMs, maxMessages }), [...names, "gatewaySm"]);
    results.scenarios.pairs = r;
    log(`  ${r.gateway.pairs} pairs, one message in flight per pair; ${P.durationMs / 1000} s per target in ${r.gateway.rounds} alternating rounds`);
    row("messages/s", r.gateway.perSec, r.floor.perSec, "", r.peer?.perSec);
    for (const p of ["p50", "p95", "p99"]) row(`latency ${p}`, r.gateway.latencyMs[p], r.floor.latencyMs[p], " ms", r.peer?.latencyMs[p]);
    row("server CPU per message", r.gateway.cpuUsPerOp, r.floor.cpuUsPerOp, " µs", r.peer?.cpuUsPerOp);
    row("server cores busy", r.gateway.cpuCoresBusy, r.floor.cpuCoresBusy, "", r.peer?.cpuCoresBusy);
    row("generator cores busy", r.gateway.generatorCoresBusy, r.floor.generatorCoresBusy, "", r.peer?.generatorCoresBusy);
    row("wrangler (node) CPU per message", r.gateway.wranglerNodeCpuUsPerOp, r.floor.wranglerNodeCpuUsPerOp, " µs");
    if (r.gateway.errors) log(`  gateway returned ${r.gateway.errors} message errors`);
    for (const x of names) if (r[x].stalled) log(`  ${x}: ${r[x].stalled} pairs stalled (a message lost) by the end of a round`);
    // XEP-0198 on every client: same rounds, same accounts (docs/stream-management.md).
    const s = r.gatewaySm;
    log("  with stream management (XEP-0198, resumable) on every client:");
    row("messages/s, SM", s.perSec, r.floor.perSec);
    for (const p of ["p50", "p99"]) row(`latency ${p}, SM`, s.latencyMs[p], r.floor.latencyMs[p], " ms");
    row("server CPU per message, SM", s.cpuUsPerOp, r.floor.cpuUsPerOp, " µs");
    r.smOverPlain = ratio(s.perSec, r.gateway.perSec);
    log(`  messages/s with SM ÷ without: ${fmt(r.smOverPlain, "x")} (target ≥ 0.8x)`);
    if (s.errors) log(`  gateway+SM returned ${s.errors} message errors`);
    if (s.stalled) log(`  gateway+SM: ${s.stalled} pairs stalled by the end of a round`);
  });
  // Issue 11: the same pairs on the gateway with carbons enabled on every client and every
  // message archived, against pairs without them, alternating in this run.
  if (only.has("pairs")) await section("pairs-carbons-archive", async () => {
    log("\n[pairs: carbons on every client and archiving, against without]");
    const windows = { without: [], with: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, opts] of [["without", {}], ["with", { carbons: true, archive: true }]]) {
        const r = await pairs(targets.gateway, { accounts: accounts.pairs, warmupMs: P.warmupMs, durationMs: P.durationMs / ROUNDS, maxMessages, ...opts });
        windows[name].push(r.window);
      }
    }
    const without = figures(mergeWindows(windows.without));
    const withThem = figures(mergeWindows(windows.with));
    const r = { without, with: withThem, ratio: ratio(withThem.perSec, without.perSec) };
    results.scenarios.pairsCarbonsArchive = r;
    const line = (label, w, wo, unit = "") =>
      log(`  ${label.padEnd(40)} with ${fmt(w, unit).padStart(12)}   without ${fmt(wo, unit).padStart(12)}   ratio ${fmt(ratio(w, wo), "x")}`);
    line("messages/s", withThem.perSec, without.perSec);
    for (const p of ["p50", "p99"]) line(`latency ${p}`, withThem.latencyMs[p], without.latencyMs[p], " ms");
    line("server CPU per message", withThem.cpuUsPerOp, without.cpuUsPerOp, " µs");
    log(`  with / without: ${fmt(r.ratio, "x")} (issue 11 target: at least 0.7x)`);
  });
  if (profileOf.has("pairs")) await section("profile-pairs", () =>
    profiled("pairs", targets.gateway, async (t) => figures((await pairs(t, { accounts: accounts.pairs, warmupMs: P.warmupMs, durationMs: P.durationMs, maxMessages })).window)));
  if (profileOf.has("pairs-archive")) await section("profile-pairs-archive", () =>
    profiled("pairs with carbons and archiving", targets.gateway, async (t) => figures((await pairs(t, { accounts: accounts.pairs, warmupMs: P.warmupMs, durationMs: P.durationMs, maxMessages, carbons: true, archive: true })).window)));
  if (profileOf.has("pairs-sm")) await section("profile-pairs-sm", () =>
    profiled("pairs with SM", targets.gatewaySm, async (t) => figures((await pairs(t, { accounts: accounts.pairs, warmupMs: P.warmupMs, durationMs: P.durationMs, maxMessages })).window)));

  if (only.has("fanout")) await section("fanout", async () => {
    const r = await withSm("fanout", (t) => fanout(t, {
      star: t.sm ? accounts.fanoutSmStar : accounts.fanoutStar, contacts: t.sm ? accounts.fanoutSm : accounts.fanout,
      ks: P.fanoutK, warmupMs: P.warmupMs, durationMs: P.durationMs, maxMessages,
    }));
    results.scenarios.fanout = r;
    log(`  ${P.durationMs / 1000} s per K and target, ${r.gateway.inFlight} presence changes in flight`);
    for (let i = 0; i < P.fanoutK.length; i++) {
      const [g, f, pr] = [r.gateway.runs[i], r.floor.runs[i], r.peer?.runs[i]];
      log(`  K = ${g.k} (subscriptions set up in ${g.setupSubscriptionsSec} s on the gateway)`);
      row("presences delivered/s", g.deliveredPerSec, f.deliveredPerSec, "", pr?.deliveredPerSec);
      for (const p of ["p50", "p99"]) row(`latency ${p}`, g.latencyMs[p], f.latencyMs[p], " ms", pr?.latencyMs[p]);
      row("server CPU per delivery", g.cpuUsPerDelivery, f.cpuUsPerDelivery, " µs", pr?.cpuUsPerDelivery);
      if (g.lostRounds || f.lostRounds) log(`  presence changes not fully delivered within 5 s: gateway ${g.lostRounds}, floor ${f.lostRounds}`);
      const sm = r.gatewaySm.runs[i];
      row("presences delivered/s, SM", sm.deliveredPerSec, f.deliveredPerSec);
      row("server CPU per delivery, SM", sm.cpuUsPerDelivery, f.cpuUsPerDelivery, " µs");
      log(`  deliveries/s with SM ÷ without: ${fmt(ratio(sm.deliveredPerSec, g.deliveredPerSec), "x")}${sm.lostRounds ? `; not fully delivered within 5 s: ${sm.lostRounds}` : ""}`);
    }
    const first = (x) => x.runs[0];
    const last = (x) => x.runs[x.runs.length - 1];
    for (const x of [r.gateway, r.floor, r.peer].filter(Boolean)) {
      x.fallDeliveriesPerSec = ratio(first(x).deliveredPerSec, last(x).deliveredPerSec);
      x.growthCpuPerDelivery = ratio(last(x).cpuUsPerDelivery, first(x).cpuUsPerDelivery);
    }
    row(`fall of deliveries/s, K=${P.fanoutK[0]} → ${P.fanoutK.at(-1)}`, r.gateway.fallDeliveriesPerSec, r.floor.fallDeliveriesPerSec, "x", r.peer?.fallDeliveriesPerSec);
    row(`growth of CPU/delivery, K=${P.fanoutK[0]} → ${P.fanoutK.at(-1)}`, r.gateway.growthCpuPerDelivery, r.floor.growthCpuPerDelivery, "x", r.peer?.growthCpuPerDelivery);
  });
  if (profileOf.has("fanout")) await section("profile-fanout", async () => {
    const k = P.fanoutK[Math.min(1, P.fanoutK.length - 1)];
    // The fanout scenario left these contacts subscribed in the gateway's state.
    await profiled(`fanout K=${k}`, targets.gateway, (t) =>
      fanout(t, { star: accounts.fanoutStar, contacts: accounts.fanout, ks: [k], subscribed: only.has("fanout") ? k : 0, warmupMs: P.warmupMs, durationMs: P.durationMs, maxMessages }));
  });

  if (only.has("connect")) await section("connect", async () => {
    const r = await both("connect", (t) => connect(t, { accounts: accounts.connect, cs: P.connectC, idleWaitMs: P.idleWaitMs, idleMeasureMs: P.idleMeasureMs }));
    results.scenarios.connect = r;
    log(`  ${r.gateway.inFlight} logins in flight; login = connect, SASL, restart, bind, initial presence, one ping answered`);
    for (let i = 0; i < P.connectC.length; i++) {
      const [g, f, pr] = [r.gateway.runs[i], r.floor.runs[i], r.peer?.runs[i]];
      log(`  C = ${g.c}: ${g.logins} more logins (gateway ${g.mechanism}, floor ${f.mechanism}: the floor only pretends to authenticate)`);
      row("logins/s", g.loginsPerSec, f.loginsPerSec, "", pr?.loginsPerSec);
      for (const p of ["p50", "p99"]) row(`login latency ${p}`, g.loginMs[p], f.loginMs[p], " ms", pr?.loginMs[p]);
      row("server CPU per login", g.cpuMsPerLogin, f.cpuMsPerLogin, " ms", pr?.cpuMsPerLogin);
      row("wrangler (node) CPU per login", g.wranglerNodeCpuMsPerLogin, f.wranglerNodeCpuMsPerLogin, " ms");
      row("cores busy: server / generator", `${g.serverCoresBusy} / ${g.generatorCoresBusy}`, `${f.serverCoresBusy} / ${f.generatorCoresBusy}`, "", pr ? `${pr.serverCoresBusy} / ${pr.generatorCoresBusy}` : undefined);
      row("RSS per connection, just logged in", g.kibPerConnActive, f.kibPerConnActive, " KiB", pr?.kibPerConnActive);
      row(`RSS per connection, idle ${P.idleWaitMs / 1000} s`, g.kibPerConnIdle, f.kibPerConnIdle, " KiB", pr?.kibPerConnIdle);
      row("RSS per connection of this step, idle", g.kibPerConnIdleMarginal, f.kibPerConnIdleMarginal, " KiB", pr?.kibPerConnIdleMarginal);
      row("server CPU while idle", g.idleCpuMsPerSec, f.idleCpuMsPerSec, " ms/s", pr?.idleCpuMsPerSec);
    }
    const also = r.gateway.also;
    if (also) {
      log(`  gateway with ${also.mechanism}${also.mechanism === "PLAIN" ? " (the server derives the key: PBKDF2)" : " (the client derives the key)"}, C = ${also.c}`);
      row("logins/s", also.loginsPerSec, r.floor.runs[0].loginsPerSec);
      row("server CPU per login", also.cpuMsPerLogin, r.floor.runs[0].cpuMsPerLogin, " ms");
    }
    r.scramClient = { logins: scramClientCost.count, msPerLogin: scramClientCost.count ? Number((scramClientCost.ms / scramClientCost.count).toFixed(2)) : null };
    log(`  client-side SCRAM-SHA-1 key derivation: ${fmt(r.scramClient.msPerLogin, " ms")} per login (wall time in the libuv pool, not server CPU)`);
  });

  if (profileOf.has("connect")) await section("profile-connect", () =>
    profiled(`connect C=${P.connectC[0]}`, targets.gateway, (t) => connect(t, { accounts: accounts.connect, cs: [P.connectC[0]], idleWaitMs: 0, idleMeasureMs: 0, also: null })));

  if (only.has("iq")) await section("iq", async () => {
    log("\n[iq]");
    const r = await alternate((t, durationMs) => iq(t, { accounts: accounts.pairs.slice(0, P.iqClients), warmupMs: P.warmupMs, durationMs, maxMessages }));
    results.scenarios.iq = r;
    log(`  ${P.iqClients} clients, one ping in flight each; ${r.gateway.rounds} alternating rounds`);
    row("ping round trips/s", r.gateway.perSec, r.floor.perSec, "", r.peer?.perSec);
    for (const p of ["p50", "p95", "p99"]) row(`round trip ${p}`, r.gateway.latencyMs[p], r.floor.latencyMs[p], " ms", r.peer?.latencyMs[p]);
    row("server CPU per round trip", r.gateway.cpuUsPerOp, r.floor.cpuUsPerOp, " µs", r.peer?.cpuUsPerOp);
    if (r.gateway.errors) log(`  gateway answered ${r.gateway.errors} pings with errors`);
  });

  if (profileOf.has("iq")) await section("profile-iq", () =>
    profiled("iq", targets.gateway, async (t) => figures((await iq(t, { accounts: accounts.pairs.slice(0, P.iqClients), warmupMs: P.warmupMs, durationMs: P.durationMs, maxMessages })).window)));

  if (only.has("delegated")) await section("delegated", async () => {
    log("\n[delegated]");
    const opts = { accounts: accounts.pairs.slice(0, P.delegatedClients), component: COMPONENT, secret: COMPONENT_SECRET, ns: BENCH_NS, warmupMs: P.warmupMs, maxMessages };
    const half = P.durationMs / ROUNDS;
    const f = await delegated(targets.floor, { ...opts, modes: Array(ROUNDS).fill("direct"), durationMs: half });
    const g = await delegated(targets.gateway, { ...opts, modes: Array(ROUNDS).fill(["direct", "delegated"]).flat(), durationMs: half });
    // Prosody's mod_delegation speaks urn:xmpp:delegation:2; ejabberd 23.01 only the old namespace: direct only.
    const pm = peer ? await delegated(targets.peer, { ...opts, modes: Array(ROUNDS).fill(peer.delegation ? ["direct", "delegated"] : ["direct"]).flat(), durationMs: half }) : null;
    const fig = (x, mode) => (x[mode].windows.length ? figures(mergeWindows(x[mode].windows)) : null);
    const r = {
      floor: { direct: { ...fig(f, "direct"), errors: f.direct.errors } },
      gateway: { direct: { ...fig(g, "direct"), errors: g.direct.errors }, delegated: { ...fig(g, "delegated"), errors: g.delegated.errors, firstError: g.delegated.firstError } },
    };
    if (pm) {
      r.peer = { direct: { ...fig(pm, "direct"), errors: pm.direct.errors, firstError: pm.direct.firstError } };
      if (pm.delegated) r.peer.delegated = { ...fig(pm, "delegated"), errors: pm.delegated.errors, firstError: pm.delegated.firstError };
      for (const mode of ["direct", "delegated"]) {
        const pmode = r.peer[mode];
        if (pmode && !pmode.count) log(`  ${thirdName} ${mode}: no successful round trip (${pmode.errors} errors${pmode.firstError ? `; first: ${pmode.firstError}` : ""})`);
      }
    }
    results.scenarios.delegated = r;
    log(`  ${P.delegatedClients} clients, one IQ in flight each; direct and delegated alternate; the floor relays client → component → client`);
    for (const mode of ["direct", "delegated"]) {
      const gm = r.gateway[mode];
      if (!gm.count) {
        log(`  ${mode}: no successful round trip (${gm.errors} errors${gm.firstError ? `; first: ${gm.firstError}` : ""})`);
        continue;
      }
      row(`${mode}: round trips/s`, gm.perSec, r.floor.direct.perSec, "", r.peer?.[mode]?.perSec);
      for (const p of ["p50", "p99"]) row(`${mode}: round trip ${p}`, gm.latencyMs[p], r.floor.direct.latencyMs[p], " ms", r.peer?.[mode]?.latencyMs?.[p]);
      row(`${mode}: server CPU per round trip`, gm.cpuUsPerOp, r.floor.direct.cpuUsPerOp, " µs", r.peer?.[mode]?.cpuUsPerOp);
    }
    if (r.gateway.delegated.count && r.gateway.direct.count) {
      r.gateway.delegatedVsDirect = {
        p50: ratio(r.gateway.delegated.latencyMs.p50, r.gateway.direct.latencyMs.p50),
        p99: ratio(r.gateway.delegated.latencyMs.p99, r.gateway.direct.latencyMs.p99),
        cpu: ratio(r.gateway.delegated.cpuUsPerOp, r.gateway.direct.cpuUsPerOp),
      };
      const d = r.gateway.delegatedVsDirect;
      log(`  delegated / direct on the gateway: round trip p50 ${fmt(d.p50, "x")}, p99 ${fmt(d.p99, "x")}, CPU ${fmt(d.cpu, "x")}`);
    }
  });
  // --profile=delegated (XEP-0355 forwarding) and --profile=direct (an IQ to the component's JID).
  for (const mode of ["delegated", "direct"]) {
    if (profileOf.has(mode)) await section(`profile-${mode}`, () =>
      profiled(mode === "direct" ? "direct component IQ" : "delegated", targets.gateway, async (t) => {
        const opts = { accounts: accounts.pairs.slice(0, P.delegatedClients), component: COMPONENT, secret: COMPONENT_SECRET, ns: BENCH_NS, warmupMs: P.warmupMs, maxMessages, durationMs: P.durationMs };
        const g = await delegated(t, { ...opts, modes: [mode] });
        return g[mode].windows.length ? figures(mergeWindows(g[mode].windows)) : { errors: g[mode].errors, firstError: g[mode].firstError };
      }));
  }
}

/** Runs `run` on the gateway under the CPU profiler and prints where the isolate's time went. */
async function profiled(name, target, run) {
  log(`\n[profile: ${name}, gateway]`);
  const stop = await startProfile(target.server.inspectorPort);
  const figures = await run(target);
  const profile = await stop();
  const out = option("profile-out");
  if (out) (await import("node:fs")).writeFileSync(`${out}/${name.replace(/[^a-z0-9]+/gi, "-")}.cpuprofile`, JSON.stringify(profile));
  const summary = gatewayBundle
    ? summarise(profile, 30, readFileSync(gatewayBundle, "utf8").split("\n"), sourceMapOf(gatewayBundle))
    : summarise(profile, 30, findBundle(root, profile));
  results.profiles ??= {};
  results.profiles[name] = { figures, ...summary };
  // Per operation measured (the profile also spans the warm-up, so a little high), so that
  // profiles of variants (pairs with and without SM) compare.
  const ops = figures?.count ?? null;
  const perOp = ops ? `, ${ops} operations: ${((summary.busyMs * 1000) / ops).toFixed(1)} µs of isolate time each` : "";
  log(`  isolate busy ${summary.busyMs} ms (sampled)${perOp}; top self time:`);
  for (const r of summary.self) log(`    ${String(r.pct).padStart(5)}%  ${r.fn}`);
  log("  top inclusive time:");
  for (const r of summary.inclusive) log(`    ${String(r.pct).padStart(5)}%  ${r.fn}`);
  log("  hottest lines (share of line-attributed samples):");
  for (const r of summary.hotLines) log(`    ${String(r.pct).padStart(5)}%  ${r.at}  ${r.code}`);
}

const started = Date.now();
try {
  await main();
  results.seconds = Math.round((Date.now() - started) / 1000);
  Object.assign(results.machine, { node: process.version, cores: (await import("node:os")).cpus().length, loadAverage: (await import("node:os")).loadavg().map((x) => Number(x.toFixed(2))) });
  if (flag("markdown")) log(`\n${markdownTable(results)}`);
  if (json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
  else log(`\ndone in ${results.seconds} s`);
} catch (e) {
  console.error("bench failed:", e instanceof Error ? e.stack : e);
  process.exitCode = 1;
} finally {
  await stopAll();
}
process.exit();
