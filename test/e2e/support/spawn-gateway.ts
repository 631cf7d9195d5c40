// Starts a real `wrangler dev` gateway for end-to-end tests and stops it again.
//
// wrangler runs in its own process group (detached: true, like setsid): killing only
// the wrangler PID would leave workerd orphaned and still serving (see STACK.md).
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ADMIN_TOKEN, COMPONENT_SECRETS, E2E_CONFIG } from "./config";

export const REPO_ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");

export interface Gateway {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The last lines wrangler printed. */
  log(): string;
  /** The file holding everything wrangler printed. */
  logFile: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * A copy of the project (sources, wrangler.toml; node_modules linked) to run wrangler in.
 * `wrangler dev` reloads the Worker whenever a source file changes, which drops every
 * WebSocket; with several people editing the tree, a run from the live tree would flake.
 * Set XMPP_E2E_SNAPSHOT=0 to run from the repository itself. No .dev.vars is copied.
 */
function projectSnapshot(): string {
  if (process.env.XMPP_E2E_SNAPSHOT === "0") return REPO_ROOT;
  const dir = mkdtempSync(join(tmpdir(), "xmpp-edge-e2e-src-"));
  for (const entry of ["src", "durable-objects", "public", "wrangler.toml", "package.json", "tsconfig.json"]) {
    if (existsSync(join(REPO_ROOT, entry))) cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/**
 * Spawns `wrangler dev` from (a snapshot of) the repository root with the e2e configuration (or
 * `opts.vars` overriding any of XMPP_CONFIG / ADMIN_TOKEN / COMPONENT_SECRETS / others),
 * and waits until GET /health answers 200.
 */
export async function startGateway(
  opts: { persistDir?: string; vars?: Record<string, string>; expectHealthy?: boolean; port?: number } = {},
): Promise<Gateway> {
  // `port`: the same address again (a restart that clients reconnect to on their own).
  const port = opts.port ?? (await freePort());
  const inspectorPort = await freePort();
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), "xmpp-edge-e2e-"));
  const vars: Record<string, string> = {
    XMPP_CONFIG: JSON.stringify(E2E_CONFIG),
    ADMIN_TOKEN,
    COMPONENT_SECRETS: JSON.stringify(COMPONENT_SECRETS),
    ...opts.vars,
  };
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--persist-to", persistDir, "--log-level", "log", "--show-interactive-dev-session=false"];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);

  const cwd = projectSnapshot();
  const child = spawn(join(REPO_ROOT, "node_modules/.bin/wrangler"), args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
  });
  const lines: string[] = [];
  // The whole output also goes to a file, for debugging a run afterwards.
  const logFile = join(tmpdir(), `xmpp-edge-e2e-${port}.log`);
  const logStream = createWriteStream(logFile);
  const collect = (chunk: Buffer) => {
    logStream.write(chunk);
    lines.push(...chunk.toString("utf8").split("\n"));
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  const exitedP = new Promise<void>((r) => child.once("exit", () => { exited = true; r(); }));

  const url = `http://127.0.0.1:${port}`;
  const log = () => lines.slice(-60).join("\n");
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
      await exitedP;
      clearTimeout(timer);
    }
    // workerd children may outlive wrangler for a moment
    killGroup(child, "SIGKILL");
    logStream.end();
    // Temporary directories made here go; a caller's persistDir stays (restart tests reuse it).
    if (cwd !== REPO_ROOT) rmSync(cwd, { recursive: true, force: true });
    if (!opts.persistDir) rmSync(persistDir, { recursive: true, force: true });
  };

  // Readiness: a wrong compatibility date makes wrangler hang instead of exiting, so time out.
  const deadline = Date.now() + 60_000;
  let lastStatus = "no answer";
  while (Date.now() < deadline) {
    if (exited) {
      await stop();
      throw new Error(`wrangler dev exited before becoming ready:\n${log()}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
      lastStatus = `${res.status} ${await res.text()}`;
      if (res.status === 200) return { url, port, log, logFile, stop };
      if (opts.expectHealthy === false && res.status >= 500) return { url, port, log, logFile, stop };
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`gateway on ${url} not healthy after 60 s (last: ${lastStatus}):\n${log()}`);
}

