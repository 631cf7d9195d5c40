// Small helpers for figures: percentiles, CPU windows, ratios, formatting.
import { sample, selfCpuMs } from "./proc.mjs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function percentiles(values) {
  if (values.length === 0) return { p50: null, p95: null, p99: null, n: 0 };
  const s = Float64Array.from(values).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), n: s.length };
}

export const round = (x, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));

/** A measurement window over a server's process group: wall time and workerd CPU. */
export function cpuWindow(server) {
  const t0 = performance.now();
  const s0 = sample(server.pgid, server.serverComms);
  const g0 = selfCpuMs();
  return () => {
    const s1 = sample(server.pgid, server.serverComms);
    return {
      wallMs: performance.now() - t0,
      generatorCpuMs: selfCpuMs() - g0,
      cpuMs: s1.workerdCpuMs - s0.workerdCpuMs,
      otherCpuMs: s1.otherCpuMs - s0.otherCpuMs,
      rssKiB: s1.workerdRssKiB,
    };
  };
}

/** Waits until the server's workerd CPU stays under `ticks` per 500 ms (bounded). */
export async function quiet(server, maxMs = 10_000) {
  const deadline = Date.now() + maxMs;
  let last = sample(server.pgid, server.serverComms).workerdCpuMs;
  while (Date.now() < deadline) {
    await sleep(500);
    const now = sample(server.pgid, server.serverComms).workerdCpuMs;
    if (now - last <= 20) return;
    last = now;
  }
}

export function ratio(a, b) {
  if (a === null || b === null || a === undefined || b === undefined || b === 0) return null;
  return round(a / b, 2);
}

export const fmt = (x, unit = "") => (x === null || x === undefined ? "n/a" : `${x}${unit}`);

/** Merges measurement windows ({count, latencies, wallMs, cpuMs, otherCpuMs}) of alternating rounds. */
export function mergeWindows(ws) {
  return {
    count: ws.reduce((a, w) => a + w.count, 0),
    latencies: ws.flatMap((w) => w.latencies),
    wallMs: ws.reduce((a, w) => a + w.wallMs, 0),
    cpuMs: ws.reduce((a, w) => a + w.cpuMs, 0),
    otherCpuMs: ws.reduce((a, w) => a + w.otherCpuMs, 0),
    generatorCpuMs: ws.reduce((a, w) => a + (w.generatorCpuMs ?? 0), 0),
    rounds: ws.length,
  };
}

/** Throughput, latency percentiles and server CPU per operation of a (merged) window. */
export function figures(w) {
  return {
    count: w.count,
    perSec: round(w.count / (w.wallMs / 1000), 0),
    latencyMs: percentiles(w.latencies),
    cpuUsPerOp: w.count ? round((w.cpuMs * 1000) / w.count, 1) : null,
    cpuCoresBusy: round(w.cpuMs / w.wallMs, 2),
    wranglerNodeCpuUsPerOp: w.count ? round((w.otherCpuMs * 1000) / w.count, 1) : null,
    generatorCoresBusy: round((w.generatorCpuMs ?? 0) / w.wallMs, 2),
    rounds: w.rounds ?? 1,
  };
}
