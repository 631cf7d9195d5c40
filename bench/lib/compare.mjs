// Several runs side by side (A/B of a change, and the noise between two runs of one tree):
//   node bench/lib/compare.mjs before=a.json head=b.json head-again=c.json
// Each file is the output of `npm run bench -- --json`. For every figure: the gateway's value
// and its ratio to the floor of the same run, one column per run.
import { readFileSync } from "node:fs";
import { markdownTable } from "./report.mjs";

const runs = process.argv.slice(2).map((arg) => {
  const [label, file] = arg.includes("=") ? arg.split("=") : [arg, arg];
  return { label, results: JSON.parse(readFileSync(file, "utf8")) };
});

/** (scenario | figure) → "gateway (ratio)" from one run's Markdown table. */
function cells(results) {
  const out = new Map();
  for (const line of markdownTable({ ...results, machine: { ...results.machine, peer: undefined } }).split("\n").slice(2)) {
    const c = line.split("|").slice(1, -1).map((x) => x.trim());
    out.set(`${c[0]} | ${c[1]}`, c[4] ? `${c[2]} (${c[4]})` : c[2]);
  }
  return out;
}

const tables = runs.map((r) => cells(r.results));
const keys = [...new Set(tables.flatMap((t) => [...t.keys()]))];
console.log(`| scenario | figure | ${runs.map((r) => `${r.label}: gateway (÷ floor)`).join(" | ")} |`);
console.log(`| --- | --- | ${runs.map(() => "---").join(" | ")} |`);
for (const k of keys) console.log(`| ${k} | ${tables.map((t) => t.get(k) ?? "").join(" | ")} |`);
console.log(`| run | gateway built from | ${runs.map((r) => r.results.machine?.gatewayTree ?? "?").join(" | ")} |`);
console.log(`| run | load average at the end (1, 5, 15 min) | ${runs.map((r) => (r.results.machine?.loadAverage ?? []).join(", ")).join(" | ")} |`);
