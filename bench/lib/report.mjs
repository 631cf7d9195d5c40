// The figures of a run as a Markdown table (README, "Benchmarks"), from the results
// object run.mjs builds. Also a command: `node bench/lib/report.mjs results.json`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const r2 = (x) => (x === null || x === undefined ? null : Math.round(x * 100) / 100);
const one = (g, f) => (g === null || g === undefined || !f ? "n/a" : `${r2(g / f)}×`);
// A cell may hold two figures ([p50, p99]): shown as "a / b", ratios likewise.
const ratio = (g, f) => (Array.isArray(g) ? g.map((x, i) => one(x, f[i])).join(" / ") : one(g, f));
const v = (x, unit = "") => (Array.isArray(x) ? `${x.map((y) => v(y)).join(" / ")}${unit}` : x === null || x === undefined ? "n/a" : `${x}${unit}`);

export function markdownTable(results) {
  const rows = [];
  // With a peer (--peer prosody): two more columns, its figure and the gateway's ratio to it.
  const peer = results.machine?.peer;
  const add = (scenario, figure, g, f, unit = "", p) =>
    rows.push(`| ${scenario} | ${figure} | ${v(g, unit)} | ${v(f, unit)} | ${ratio(g, f)} |${peer ? ` ${v(p, unit)} | ${p === undefined ? "n/a" : ratio(g, p)} |` : ""}`);
  const s = results.scenarios ?? {};
  if (s.pairs?.gateway) {
    const { gateway: g, floor: f, peer: pe } = s.pairs;
    const n = `pairs (${g.pairs} pairs)`;
    add(n, "messages/s", g.perSec, f.perSec, "", pe?.perSec);
    for (const p of ["p50", "p95", "p99"]) add(n, `latency ${p}`, g.latencyMs[p], f.latencyMs[p], " ms", pe?.latencyMs[p]);
    add(n, "server CPU per message", g.cpuUsPerOp, f.cpuUsPerOp, " µs", pe?.cpuUsPerOp);
  }
  if (s.fanout?.gateway) {
    const { gateway: g, floor: f, peer: pe } = s.fanout;
    g.runs.forEach((gr, i) => {
      const fr = f.runs[i];
      const pr = pe?.runs[i];
      const n = `fanout K = ${gr.k}`;
      add(n, "presences delivered/s", gr.deliveredPerSec, fr.deliveredPerSec, "", pr?.deliveredPerSec);
      add(n, "latency p50 / p99", [gr.latencyMs.p50, gr.latencyMs.p99], [fr.latencyMs.p50, fr.latencyMs.p99], " ms", pr && [pr.latencyMs.p50, pr.latencyMs.p99]);
      add(n, "server CPU per delivery", gr.cpuUsPerDelivery, fr.cpuUsPerDelivery, " µs", pr?.cpuUsPerDelivery);
    });
    rows.push(`| fanout | fall of deliveries/s, K = ${g.runs[0].k} → ${g.runs.at(-1).k} | ${v(g.fallDeliveriesPerSec, "×")} | ${v(f.fallDeliveriesPerSec, "×")} | |`);
    rows.push(`| fanout | growth of CPU per delivery, K = ${g.runs[0].k} → ${g.runs.at(-1).k} | ${v(g.growthCpuPerDelivery, "×")} | ${v(f.growthCpuPerDelivery, "×")} | |`);
  }
  if (s.connect?.gateway) {
    const { gateway: g, floor: f, peer: pe } = s.connect;
    g.runs.forEach((gr, i) => {
      const fr = f.runs[i];
      const pr = pe?.runs[i];
      const n = `connect C = ${gr.c}`;
      add(n, `logins/s (gateway ${gr.mechanism}, floor ${fr.mechanism})`, gr.loginsPerSec, fr.loginsPerSec, "", pr?.loginsPerSec);
      add(n, "login latency p50 / p99", [gr.loginMs.p50, gr.loginMs.p99], [fr.loginMs.p50, fr.loginMs.p99], " ms", pr && [pr.loginMs.p50, pr.loginMs.p99]);
      add(n, "server CPU per login", gr.cpuMsPerLogin, fr.cpuMsPerLogin, " ms", pr?.cpuMsPerLogin);
      add(n, "RSS per connection, just logged in", gr.kibPerConnActive, fr.kibPerConnActive, " KiB", pr?.kibPerConnActive);
      add(n, "RSS per connection, idle", gr.kibPerConnIdle, fr.kibPerConnIdle, " KiB", pr?.kibPerConnIdle);
      if (i > 0) add(n, "RSS per connection of this step's new ones, idle", gr.kibPerConnIdleMarginal, fr.kibPerConnIdleMarginal, " KiB", pr?.kibPerConnIdleMarginal);
      add(n, "server CPU while idle", gr.idleCpuMsPerSec, fr.idleCpuMsPerSec, " ms/s", pr?.idleCpuMsPerSec);
    });
    // `plain`: runs saved before the steps logged in with PLAIN (the extra step was PLAIN).
    const also = g.also ?? (g.plain ? { mechanism: "PLAIN", ...g.plain } : null);
    if (also) {
      const fr = f.runs[0];
      add(`connect C = ${also.c}, gateway ${also.mechanism}`, "logins/s", also.loginsPerSec, fr.loginsPerSec);
      add(`connect C = ${also.c}, gateway ${also.mechanism}`, "server CPU per login", also.cpuMsPerLogin, fr.cpuMsPerLogin, " ms");
    }
    if (s.connect.scramClient) rows.push(`| connect | client-side SCRAM-SHA-1 key derivation per login (generator) | ${v(s.connect.scramClient.msPerLogin, " ms")} | | |`);
  }
  if (s.iq?.gateway) {
    const { gateway: g, floor: f, peer: pe } = s.iq;
    const n = `iq (${g.clients} clients)`;
    add(n, "ping round trips/s", g.perSec, f.perSec, "", pe?.perSec);
    for (const p of ["p50", "p99"]) add(n, `round trip ${p}`, g.latencyMs[p], f.latencyMs[p], " ms", pe?.latencyMs[p]);
    add(n, "server CPU per round trip", g.cpuUsPerOp, f.cpuUsPerOp, " µs", pe?.cpuUsPerOp);
  }
  if (s.delegated?.gateway) {
    const { gateway: g, floor: f, peer: pe } = s.delegated;
    for (const mode of ["direct", "delegated"]) {
      const m = g[mode];
      const pm = pe?.[mode]?.count ? pe[mode] : undefined;
      if (!m?.count) {
        rows.push(`| delegated | ${mode}: no successful round trip | | | |`);
        continue;
      }
      add(`delegated: ${mode}`, "round trips/s", m.perSec, f.direct.perSec, "", pm?.perSec);
      for (const p of ["p50", "p99"]) add(`delegated: ${mode}`, `round trip ${p}`, m.latencyMs[p], f.direct.latencyMs[p], " ms", pm?.latencyMs[p]);
      add(`delegated: ${mode}`, "server CPU per round trip", m.cpuUsPerOp, f.direct.cpuUsPerOp, " µs", pm?.cpuUsPerOp);
    }
    if (g.delegatedVsDirect) {
      const d = g.delegatedVsDirect;
      rows.push(`| delegated | delegated ÷ direct (gateway): p50 / p99 / CPU | ${d.p50}× / ${d.p99}× / ${d.cpu}× | | |`);
    }
  }
  for (const [name, x] of Object.entries(s)) if (x?.error) rows.push(`| ${name} | FAILED: ${x.error.replace(/\|/g, "\\|").slice(0, 200)} | | | |`);
  const head = peer ? ["| scenario | figure | gateway | floor | gateway ÷ floor |" + ` ${peer} | gateway ÷ ${peer} |`, "| --- | --- | --- | --- | --- | --- | --- |"]
    : ["| scenario | figure | gateway | floor | gateway ÷ floor |", "| --- | --- | --- | --- | --- |"];
  return [...head, ...rows.map((r) => (peer && (r.match(/\|/g) ?? []).length === 6 ? `${r} | |` : r))].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(markdownTable(JSON.parse(readFileSync(process.argv[2], "utf8"))));
}
