#!/usr/bin/env node
// `npm start`: the gateway under `wrangler dev` on 127.0.0.1:8787, state persisted in
// .wrangler/state, example secrets copied from .dev.vars.example when .dev.vars is absent.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(join(root, ".dev.vars"))) {
  copyFileSync(join(root, ".dev.vars.example"), join(root, ".dev.vars"));
  console.log("copied .dev.vars.example to .dev.vars");
}
// `npm start -- --port 9000` (or --port=9000): a flag the user gives replaces the default.
const defaults = [["--ip", "127.0.0.1"], ["--port", process.env.PORT ?? "8787"], ["--persist-to", ".wrangler/state"]];
const given = process.argv.slice(2);
const userFlags = new Set(given.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]));
const args = ["dev", ...defaults.filter(([flag]) => !userFlags.has(flag)).flat(), ...given];
const child = spawn(join(root, "node_modules/.bin/wrangler"), args, {
  cwd: root,
  stdio: "inherit",
  env: { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
