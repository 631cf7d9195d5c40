// Starting and stopping `wrangler dev` servers, and reading their processes' CPU and
// memory from /proc (Linux only).
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portFree(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** `count` free loopback ports: from `base` upwards when given, else picked by the kernel. */
export async function freePorts(count, base) {
  const ports = [];
  if (base) {
    for (let p = base; ports.length < count && p < base + 200; p++) if (await portFree(p)) ports.push(p);
  } else {
    while (ports.length < count) {
      const p = await new Promise((resolve) => {
        const s = createServer();
        s.listen(0, "127.0.0.1", () => {
          const { port } = s.address();
          s.close(() => resolve(port));
        });
      });
      if (!ports.includes(p)) ports.push(p);
    }
  }
  if (ports.length < count) throw new Error(`no ${count} free ports from ${base}`);
  return ports;
}

const WRANGLER_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

/**
 * Builds the worker once (`wrangler deploy --dry-run`) into `dir` and writes a copy of
 * its wrangler.toml that runs that bundle as is (no_bundle). `wrangler dev` on the copy
 * does not rebuild and reload when someone edits the sources during the run (the
 * reload would drop every WebSocket). Returns the copy's path and the bundle's.
 */
export async function snapshotWorker(root, configFile, dir) {
  const dist = join(dir, "dist");
  await promisify(execFile)(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", dist, "-c", join(root, configFile)], {
    cwd: root,
    env: { ...process.env, ...WRANGLER_ENV },
  });
  const toml = readFileSync(join(root, configFile), "utf8");
  if (!/^main = .*$/m.test(toml)) throw new Error(`${configFile}: no top-level main = ... line to replace`);
  const bundle = join(dist, "index.js");
  const copy = join(dir, "wrangler.toml");
  // The static assets directory is relative to the original file: point the copy at it.
  const assets = (_line, d) => `directory = ${JSON.stringify(resolve(dirname(join(root, configFile)), d))}`;
  writeFileSync(copy, toml.replace(/^main = .*$/m, `main = ${JSON.stringify(bundle)}\nno_bundle = true`).replace(/^directory = "([^"]*)"$/m, assets));
  return { config: copy, bundle };
}

/**
 * Starts `wrangler dev` in its own process group with fresh persisted state and
 * waits until `readyPath` answers. Returns a handle with stop().
 */
export async function startWrangler({ root, name, port, inspectorPort, configFile, vars = {}, readyPath = "/", stateDir = tmpdir(), timeoutMs = 90_000 }) {
  const state = mkdtempSync(join(stateDir, `bench-${name}-`));
  const logFile = join(state, "wrangler.log");
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", join(state, "state"), "--show-interactive-dev-session=false", "--log-level", "warn"];
  if (configFile) args.push("-c", configFile);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const out = openSync(logFile, "a");
  const child = spawn(join(root, "node_modules/.bin/wrangler"), args, {
    cwd: root,
    detached: true, // its own process group: wrangler, workerd and all, killed together
    stdio: ["ignore", out, out],
    env: { ...process.env, ...WRANGLER_ENV },
  });
  const pgid = child.pid;
  let exited = false;
  child.on("exit", () => (exited = true));
  const handle = {
    name, port, inspectorPort, pgid, state, logFile,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    log: () => { try { return readFileSync(logFile, "utf8"); } catch { return ""; } },
    stop: () => stopGroup(pgid, state),
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${name}: wrangler exited during start-up\n${handle.log().slice(-3000)}`);
    try {
      const res = await fetch(handle.url + readyPath, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${name}: no answer on ${readyPath} after ${timeoutMs} ms\n${handle.log().slice(-3000)}`);
    }
    await sleep(250);
  }
  return handle;
}

/** Pids whose process group is `pgid`, with their command names. */
export function groupProcesses(pgid) {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s && s.pgrp === pgid) found.push({ pid: Number(entry), comm: s.comm });
  }
  return found;
}

/** SIGTERM to the whole group, then SIGKILL to whatever is left after 5 s. */
export async function stopGroup(pgid, state) {
  const signal = (sig) => { try { process.kill(-pgid, sig); } catch { /* already gone */ } };
  signal("SIGTERM");
  for (let i = 0; i < 50 && groupProcesses(pgid).length > 0; i++) await sleep(100);
  if (groupProcesses(pgid).length > 0) signal("SIGKILL");
  for (let i = 0; i < 20 && groupProcesses(pgid).length > 0; i++) await sleep(100);
  if (state) rmSync(state, { recursive: true, force: true });
}

/** Fields of /proc/<pid>/stat we use; null when the process is gone. */
function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" "); // f[0] is field 3 (state)
  return { comm, pgrp: Number(f[2]), utime: Number(f[11]), stime: Number(f[12]) };
}

function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (ms, user+system) and RSS (KiB) of the group's server processes (workerd, or
 * `serverComms`; null: every process of the group, e.g. a peer server), and of the rest.
 */
export function sample(pgid, serverComms = ["workerd"]) {
  const r = { workerdCpuMs: 0, otherCpuMs: 0, workerdRssKiB: 0, workerdPids: 0 };
  for (const { pid, comm } of groupProcesses(pgid)) {
    const s = readStat(pid);
    if (!s) continue;
    const ms = (s.utime + s.stime) * TICK_MS;
    if (!serverComms || serverComms.includes(comm)) {
      r.workerdCpuMs += ms;
      r.workerdRssKiB += rssKiB(pid);
      r.workerdPids++;
    } else r.otherCpuMs += ms;
  }
  return r;
}

/** CPU time (ms, user+system) of each process of the group named `comm`, by pid. */
export function processCpuMs(pgid, comm) {
  const out = new Map();
  for (const p of groupProcesses(pgid)) {
    const s = p.comm === comm ? readStat(p.pid) : null;
    if (s) out.set(p.pid, (s.utime + s.stime) * TICK_MS);
  }
  return out;
}

/** CPU (ms) used by this Node process so far. */
export function selfCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
