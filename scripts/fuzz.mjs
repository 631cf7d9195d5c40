#!/usr/bin/env node
// `npm run fuzz`: starts a gateway under `wrangler dev` (a snapshot of the sources, fresh
// state, free ports), creates two accounts, connects components, and throws generated
// malformed and hostile frames at it (scripts/lib/fuzz-frames.mjs) from streams before
// authentication, logged-in clients and components. Checks that each bad frame gets the
// stream error the rules give, that nothing non-well-formed (and nothing of a bad frame)
// reaches a receiving client or component, that valid tricky frames arrive intact, that
// the gateway never crashes (/health stays 200) and that workerd's memory stays bounded.
//
//   npm run fuzz                          5000 frames, a random seed (printed)
//   npm run fuzz -- --frames=100000 --seed=42 --concurrency=4
//   npm run fuzz -- --json                the result as JSON on stdout
//   npm run fuzz -- --settle=150          then sample workerd's memory for 150 s of idleness
// Exit code 0 when every check held, 1 otherwise.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts, groupProcesses, snapshotWorker, startWrangler } from "../bench/lib/proc.mjs";
import { runFuzz } from "./lib/fuzz-run.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const option = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const frames = Number(option("frames", "5000"));
const seed = Number(option("seed", String(randomBytes(4).readUInt32BE(0) % 1_000_000)));
const concurrency = Number(option("concurrency", "4"));
const json = process.argv.includes("--json");
const settle = Number(option("settle", "0")); // seconds of idle memory sampling after the run
const log = (s) => process.stderr.write(`${s}\n`);
/** What local workerd keeps per object instance started, measured on the floor (`npm run bench:objects`). */
const RUNTIME_KEEPS_PER_OBJECT_KIB = 290;

const HOST = "localhost";
const PASSWORD = "fuzz-password";
const MAX_BYTES = 262144;
const senders = Array.from({ length: 2 * concurrency }, (_, i) => ({ jid: `fz${i}.${HOST}`, secret: randomBytes(8).toString("hex") }));
const receiver = { jid: `fzrx.${HOST}`, secret: randomBytes(8).toString("hex") };
const config = {
  hosts: { [HOST]: { registration: false } },
  components: Object.fromEntries([...senders, receiver].map((c) => [c.jid, {}])),
  // The per-connection rate limiter and the login throttle would slow the fuzzer down.
  limits: { max_stanza_size: MAX_BYTES, rate_per_second: 1_000_000, burst: 1_000_000, auth_failures_before_delay: 1_000_000 },
};

function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function main() {
  const token = randomBytes(16).toString("hex");
  const [port, inspectorPort] = await freePorts(2);
  const build = mkdtempSync(join(tmpdir(), "fuzz-build-"));
  let server;
  try {
    log(`building and starting the gateway on :${port} (seed ${seed}, ${frames} frames) ...`);
    const { config: configFile } = await snapshotWorker(root, "wrangler.toml", build);
    server = await startWrangler({
      root, name: "fuzz", port, inspectorPort, configFile, readyPath: "/health",
      vars: {
        XMPP_CONFIG: JSON.stringify(config),
        ADMIN_TOKEN: token,
        COMPONENT_SECRETS: JSON.stringify(Object.fromEntries([...senders, receiver].map((c) => [c.jid, c.secret]))),
      },
    });
    for (const user of ["fz-sender", "fz-receiver"]) {
      const res = await fetch(`${server.url}/admin/users/${user}@${HOST}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ password: PASSWORD }),
      });
      if (res.status !== 201 && res.status !== 204) throw new Error(`creating ${user}: ${res.status} ${await res.text()}`);
    }
    const workerd = () => groupProcesses(server.pgid).filter((p) => p.comm.includes("workerd"));
    const memoryKiB = () => workerd().reduce((sum, p) => sum + rssKiB(p.pid), 0);
    const result = await runFuzz({
      base: server.url, host: HOST, frames, seed, concurrency, maxBytes: MAX_BYTES, memoryKiB, log,
      users: { sender: "fz-sender", receiver: "fz-receiver", password: PASSWORD },
      components: { senders, receiver },
    });
    // After the run: does the memory come back once the connections' objects go idle?
    const settled = [];
    for (let t = 0; t < settle; t += 10) {
      await new Promise((r) => setTimeout(r, 10_000));
      settled.push(memoryKiB());
      log(`settling: ${t + 10} s idle, workerd ${Math.round(settled.at(-1) / 1024)} MiB`);
    }
    const mem = result.memoryKiB.filter((m) => m > 0);
    const mib = (k) => Math.round(k / 1024);
    const memory = mem.length ? { startMiB: mib(mem[0]), peakMiB: mib(Math.max(...mem)), endMiB: mib(mem.at(-1)), settledMiB: settled.length ? mib(settled.at(-1)) : undefined } : null;
    // Bounded: the gateway's memory does not grow by more per stream than the runtime itself
    // keeps (after --settle seconds of idleness when given, else at the end of the run). Each
    // bad frame ends its stream, and local workerd keeps every object instance it started:
    // `npm run bench:objects` measured 265-290 KiB per connection opened on the floor and on
    // the gateway alike (docs/xml-on-the-wire.md), so only more than that per bad frame is ours.
    const last = memory?.settledMiB ?? memory?.endMiB;
    const perStreamKiB = memory ? ((last - memory.startMiB) * 1024) / Math.max(1, result.bad) : 0;
    if (memory && last > memory.startMiB + 256 && perStreamKiB > RUNTIME_KEEPS_PER_OBJECT_KIB) {
      result.problems.push(`workerd memory grew from ${memory.startMiB} to ${last} MiB, ${Math.round(perStreamKiB)} KiB per stream ended (the runtime keeps about ${RUNTIME_KEEPS_PER_OBJECT_KIB})`);
    }
    const errorLines = server.log().split("\n").filter((l) => /uncaught|exception|internal-server-error|✘/i.test(l) && !/Request\.cf|ENOTFOUND|report this error/i.test(l));
    if (errorLines.length) result.problems.push(`the gateway logged ${errorLines.length} error lines, e.g. ${errorLines[0].slice(0, 300)}`);
    const summary = { ...result, memory, memoryKiB: undefined };
    if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    log(`\n${result.frames} frames in ${result.seconds} s (seed ${seed}): ${result.bad} bad, ${result.valid} valid; stream errors ${JSON.stringify(result.byCondition)}`);
    log(`health checks: ${result.healthChecks}; workerd memory: ${memory ? `${memory.startMiB} → peak ${memory.peakMiB} → ${memory.endMiB} MiB${memory.settledMiB !== undefined ? ` (${memory.settledMiB} MiB after ${settle} s idle)` : ""}` : "n/a"}; generator labels the reference disagreed with: ${result.labelDisagreements}`);
    log(result.problems.length ? `PROBLEMS (${result.problems.length}):\n  ${result.problems.join("\n  ")}` : "all checks held");
    process.exitCode = result.problems.length ? 1 : 0;
  } finally {
    await server?.stop();
    rmSync(build, { recursive: true, force: true });
  }
}

main().catch((e) => {
  log(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(1);
});
