// `npm start -- --port P ...` (scripts/start.mjs): a wrangler flag given after `--`
// replaces the script's own default instead of being refused as a duplicate, and a fresh
// checkout serves the web client and the console right away (prestart prepares the assets).
// Run in a copy of the project (node_modules linked) so the .dev.vars it writes and
// wrangler's file watching stay out of the working tree.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, freePort } from "./support/gateway";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("npm start", () => {
  const dirs: string[] = [];
  const groups: number[] = [];
  afterAll(() => {
    for (const pid of groups) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("takes --port (and other wrangler flags) after -- over its defaults", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xmpp-edge-start-"));
    dirs.push(dir);
    for (const entry of ["src", "durable-objects", "public", "scripts", "wrangler.toml", "package.json", "tsconfig.json", ".dev.vars.example"]) {
      cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    const [port, inspector] = [await freePort(), await freePort()];
    const child = spawn("npm", ["start", "--", "--port", String(port), `--inspector-port=${inspector}`, "--persist-to", join(dir, "state")], {
      cwd: dir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    });
    groups.push(child.pid!);
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    let exited: number | null | undefined;
    child.on("exit", (code) => (exited = code));

    const url = `http://127.0.0.1:${port}`;
    let health: Response | undefined;
    for (let i = 0; i < 120 && exited === undefined; i++) {
      health = await fetch(`${url}/health`).catch(() => undefined);
      if (health?.status === 200) break;
      await sleep(500);
    }
    expect(exited, out).toBeUndefined();
    expect(health?.status, out).toBe(200);
    expect(out).not.toMatch(/specified multiple times|Expected .* to be a single/i);
    // .dev.vars was created from the example, and the persisted state went where we said.
    expect(existsSync(join(dir, ".dev.vars"))).toBe(true);
    expect(existsSync(join(dir, "state"))).toBe(true);
    expect(existsSync(join(dir, ".wrangler/state"))).toBe(false);
    // The page and Converse's files are there (prestart copied nothing new: public/converse came along).
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/converse/converse.min.js`)).status).toBe(200);
    expect((await fetch(`${url}/console/console.js`)).status).toBe(200);
  }, 90_000);
});
