// A CPU profile of the worker's isolate (Worker and Durable Objects share it under
// wrangler dev) through the inspector port, with the Chrome DevTools Protocol's
// Profiler domain. Summarised as self time per function and inclusive time of the
// functions on the hot path.
import WebSocket from "ws";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SourceMap } from "node:module";

export async function startProfile(inspectorPort, intervalUs = 100) {
  const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let id = 0;
  const pending = new Map();
  ws.on("message", (d) => {
    const m = JSON.parse(String(d));
    const w = pending.get(m.id);
    if (w) {
      pending.delete(m.id);
      w(m);
    }
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const i = ++id;
      pending.set(i, resolve);
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  return async () => {
    const r = await call("Profiler.stop");
    ws.close();
    return r.result?.profile ?? null;
  };
}

/** The median time between samples: the effective sampling interval (µs). */
function intervalOf(profile) {
  const d = [...profile.timeDeltas].filter((x) => x > 0).sort((a, b) => a - b);
  return d.length ? d[Math.floor(d.length / 2)] : 100;
}

/**
 * Names code by its original source position when the bundle's source map is known
 * (`wrangler deploy --dry-run` writes index.js.map next to the bundle).
 */
export function sourceMapOf(bundlePath) {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, "utf8")));
  } catch {
    return null;
  }
}

function labeller(map) {
  return (cf) => {
    const name = cf.functionName || "(anonymous)";
    if (!cf.url || cf.lineNumber < 0) return name;
    const file = cf.url.slice(cf.url.lastIndexOf("/") + 1);
    if (map && file === "index.js") {
      const e = map.findEntry(cf.lineNumber, cf.columnNumber);
      if (e && e.originalSource) {
        const src = e.originalSource.replace(/^.*?(node_modules\/|src\/|durable-objects\/)/, "$1");
        return `${name} ${src}:${e.originalLine + 1}`;
      }
    }
    return `${name} ${file}:${cf.lineNumber + 1}`;
  };
}

/**
 * Self and inclusive time per function (ms, % of non-idle samples), top `n` of each, and
 * the hottest lines. `bundle` (the bundled worker's lines, when found) names the code.
 */
export function summarise(profile, n = 25, bundle = null, map = null) {
  const label = labeller(map);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const dt = new Map(); // node id → sampled µs
  // A sample's weight is the time since the previous one, capped: after a stretch in
  // which the sampler did not run (machine busy, isolate parked), V8 books the whole gap
  // on one sample, which would credit seconds to whatever ran next.
  const cap = 10 * intervalOf(profile);
  profile.samples.forEach((s, i) => dt.set(s, (dt.get(s) ?? 0) + Math.min(cap, profile.timeDeltas[i] ?? 0)));
  const self = new Map();
  const incl = new Map();
  let busy = 0;
  for (const [nodeId, us] of dt) {
    const node = byId.get(nodeId);
    const name = node.callFrame.functionName;
    if (name === "(idle)") continue;
    busy += us;
    const l = label(node.callFrame);
    self.set(l, (self.get(l) ?? 0) + us);
    const seen = new Set();
    for (let cur = nodeId; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur).callFrame);
      if (seen.has(cl)) continue;
      seen.add(cl);
      incl.set(cl, (incl.get(cl) ?? 0) + us);
    }
  }
  // The hottest source lines of the top self-time functions (bundle lines, read while
  // the bundle still exists).
  const lines = new Map();
  for (const node of profile.nodes) {
    for (const t of node.positionTicks ?? []) {
      const key = `${node.callFrame.url}\u0000${t.line}`;
      lines.set(key, (lines.get(key) ?? 0) + t.ticks);
    }
  }
  const totalTicks = [...lines.values()].reduce((a, b) => a + b, 0) || 1;
  const sourceLine = (url, line) => (bundle && url === "index.js" ? bundle[line - 1]?.trim().slice(0, 150) ?? "" : "");
  const place = (url, line) => {
    const file = url.slice(url.lastIndexOf("/") + 1);
    const e = map && file === "index.js" ? map.findEntry(line - 1, 0) : null;
    if (e && e.originalSource) return `${e.originalSource.replace(/^.*?(node_modules\/|src\/|durable-objects\/)/, "$1")}:${e.originalLine + 1}`;
    return `${file}:${line}`;
  };
  const hotLines = [...lines].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([key, ticks]) => {
    const [url, line] = key.split("\u0000");
    return { at: place(url, Number(line)), pct: Number(((100 * ticks) / totalTicks).toFixed(1)), code: sourceLine(url, Number(line)) };
  });
  const top = (m) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([fn, us]) => ({ fn, ms: Number((us / 1000).toFixed(1)), pct: Number(((100 * us) / busy).toFixed(1)) }));
  return { busyMs: Number((busy / 1000).toFixed(1)), self: top(self), inclusive: top(incl), hotLines };
}

/**
 * The lines of the bundle wrangler dev built for this profile: among the
 * .wrangler/tmp/dev-* builds under `root` (other people may run wrangler dev here too),
 * the one whose lines match the profile's function names.
 */
export function findBundle(root, profile) {
  const probes = profile.nodes
    .filter((n) => n.callFrame.url === "index.js" && n.callFrame.functionName && n.callFrame.lineNumber >= 0)
    .slice(0, 50);
  const dir = join(root, ".wrangler/tmp");
  let best = null;
  let bestScore = -1;
  let entries = [];
  try {
    entries = readdirSync(dir).filter((d) => d.startsWith("dev-"));
  } catch {
    return null;
  }
  for (const d of entries) {
    let lines;
    try {
      lines = readFileSync(join(dir, d, "index.js"), "utf8").split("\n");
    } catch {
      continue;
    }
    const score = probes.filter((n) => (lines[n.callFrame.lineNumber] ?? "").includes(n.callFrame.functionName)).length;
    if (score > bestScore) [best, bestScore] = [lines, score];
  }
  return bestScore > probes.length / 2 ? best : null;
}
