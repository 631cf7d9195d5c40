// `xmpp-edge user add|passwd|del JID`: the administration API from the command
// line (CONTRACT.md "Administration API"). Neither the password nor the token is
// ever printed.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export class CliError extends Error {}

/** KEY=VALUE lines of a .dev.vars file (comments and blank lines skipped, quotes removed). */
export function parseDevVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    vars[key] = value;
  }
  return vars;
}

/** ADMIN_TOKEN from the environment, else from ./.dev.vars. */
export function adminToken(env = process.env, cwd = process.cwd()) {
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN;
  const file = join(cwd, ".dev.vars");
  if (existsSync(file)) {
    const token = parseDevVars(readFileSync(file, "utf8")).ADMIN_TOKEN;
    if (token) return token;
  }
  throw new CliError("no admin token: set ADMIN_TOKEN in the environment or in .dev.vars in the current directory");
}

/** Reads a password: no echo on a terminal (asked twice when `confirm`), the first line of stdin otherwise. */
export async function readPassword(confirm) {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let data = "";
    stdin.setEncoding("utf8");
    for await (const chunk of stdin) data += chunk;
    const line = data.split(/\r?\n/)[0] ?? "";
    if (!line) throw new CliError("no password on standard input");
    return line;
  }
  const first = await promptHidden("Password: ");
  if (!first) throw new CliError("the password must not be empty");
  if (confirm && (await promptHidden("Retype password: ")) !== first) throw new CliError("the passwords do not match");
  return first;
}

/** A prompt on stderr whose answer is not echoed (raw mode, minimal line editing). */
function promptHidden(prompt) {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let answer = "";
    const done = (fn) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      fn();
    };
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done(() => resolve(answer));
        if (ch === "\u0003" || ch === "\u0004") return done(() => reject(new CliError("cancelled")));
        if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
        else if (ch >= " ") answer += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** One call to the administration API; a non-2xx answer becomes a CliError with the status and the API's error. */
async function call(url, token, method, jid, body) {
  const target = `${url.replace(/\/+$/, "")}/admin/users/${encodeURIComponent(jid)}`;
  let res;
  try {
    res = await fetch(target, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
    throw new CliError(`cannot reach the gateway at ${url}: ${cause}`);
  }
  const text = await res.text();
  return { status: res.status, statusText: res.statusText, error: apiError(text) };
}

function apiError(text) {
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON: use the body as it is
  }
  return text.trim();
}

function failure(method, jid, r) {
  return new CliError(`${method} /admin/users/${jid} failed: HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ""}${r.error ? `: ${r.error}` : ""}`);
}

/**
 * Runs `user add|passwd|del`. Returns the line to print on success.
 * `add` refuses an existing account and `passwd` a missing one, so that neither
 * silently does the other's job (the API's PUT does both).
 * @param {{ action: "add" | "passwd" | "del", jid: string, url: string, token: string, password?: () => Promise<string> }} o
 */
export async function userCommand({ action, jid, url, token, password }) {
  if (action === "del") {
    const r = await call(url, token, "DELETE", jid);
    if (r.status === 204) return `deleted ${jid}`;
    throw failure("DELETE", jid, r);
  }
  const existing = await call(url, token, "GET", jid);
  if (existing.status === 200 && action === "add") throw new CliError(`${jid} already exists (use 'user passwd' to change its password)`);
  if (existing.status !== 200 && !(existing.status === 404 && action === "add")) throw failure("GET", jid, existing);
  const r = await call(url, token, "PUT", jid, { password: await password() });
  if (r.status === 201) return `created ${jid}`;
  if (r.status === 204) return `changed the password of ${jid}`;
  throw failure("PUT", jid, r);
}

/** GET /admin{path} as JSON; a non-2xx answer becomes a CliError with the status and the API's error. */
export async function adminGet(url, token, path) {
  const target = `${url.replace(/\/+$/, "")}/admin${path}`;
  let res;
  try {
    res = await fetch(target, { headers: { Authorization: `Bearer ${token}` } });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
    throw new CliError(`cannot reach the gateway at ${url}: ${cause}`);
  }
  const text = await res.text();
  if (!res.ok) throw new CliError(`GET /admin${path} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${apiError(text) ? `: ${apiError(text)}` : ""}`);
  return JSON.parse(text);
}

/**
 * `user list HOST`: every account of the host, one bare JID a line, walking the pages of
 * GET /admin/hosts/HOST/users.
 * @param {{ host: string, url: string, token: string }} o
 */
export async function listUsers({ host, url, token }) {
  const lines = [];
  let after = "";
  for (;;) {
    const page = await adminGet(url, token, `/hosts/${encodeURIComponent(host)}/users?limit=500&after=${encodeURIComponent(after)}`);
    lines.push(...page.accounts);
    if (page.next === null) break;
    after = page.next;
  }
  return lines;
}
