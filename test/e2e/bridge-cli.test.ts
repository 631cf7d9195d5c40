// The `xmpp-edge` command line (bin/xmpp-edge.mjs) against the running gateway:
// `user add|passwd|del` through the administration API, exit codes (0 ok,
// 1 error, 2 usage), where the token comes from, and that neither the password
// nor the token is ever printed.
// References: CONTRACT.md "Administration API" (201 created, 204 changed/deleted,
// 404 unknown, 401 without the token).
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "./support/config";
import { REPO_ROOT, freePort, gatewayUrl, uniqueName } from "./support/gateway";
import { RawXmpp } from "./support/raw-client";

const CLI = join(REPO_ROOT, "bin/xmpp-edge.mjs");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in an empty directory (no .dev.vars) unless `cwd` is given. */
function run(args: string[], opts: { token?: string | null; stdin?: string; cwd?: string } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.ADMIN_TOKEN;
  const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
  if (token !== null) env.ADMIN_TOKEN = token;
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? mkdtempSync(join(tmpdir(), "xe-cli-")), env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end(opts.stdin ?? "");
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const url = () => ["--url", gatewayUrl()];

async function canLogin(name: string, password: string): Promise<boolean> {
  try {
    const c = await RawXmpp.login(gatewayUrl(), { username: name, password });
    c.close();
    return true;
  } catch {
    return false;
  }
}

describe("xmpp-edge user", () => {
  it("add creates the account (201), passwd changes its password (204), del removes it (204)", async () => {
    const name = uniqueName("cli");
    const jid = `${name}@localhost`;
    const add = await run(["user", "add", jid, "--password", "first-pw", ...url()]);
    expect(add).toEqual({ code: 0, stdout: `created ${jid}\n`, stderr: "" });
    expect(await canLogin(name, "first-pw")).toBe(true);

    // Password from standard input (not a terminal): its first line.
    const passwd = await run(["user", "passwd", jid, ...url()], { stdin: "second-pw\nignored\n" });
    expect(passwd).toEqual({ code: 0, stdout: `changed the password of ${jid}\n`, stderr: "" });
    expect(await canLogin(name, "second-pw")).toBe(true);
    expect(await canLogin(name, "first-pw")).toBe(false);

    const del = await run(["user", "del", jid, ...url()]);
    expect(del).toEqual({ code: 0, stdout: `deleted ${jid}\n`, stderr: "" });
    const res = await fetch(`${gatewayUrl()}/admin/users/${jid}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(404);
    for (const r of [add, passwd, del]) {
      expect(r.stdout + r.stderr).not.toMatch(/first-pw|second-pw/);
      expect(r.stdout + r.stderr).not.toContain(ADMIN_TOKEN);
    }
  });

  it("add refuses an existing account and leaves its password alone", async () => {
    const name = uniqueName("cli");
    const jid = `${name}@localhost`;
    expect((await run(["user", "add", jid, "--password", "keep-me", ...url()])).code).toBe(0);
    const again = await run(["user", "add", jid, "--password", "other", ...url()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`xmpp-edge: ${jid} already exists (use 'user passwd' to change its password)\n`);
    expect(await canLogin(name, "keep-me")).toBe(true);
  });

  it("passwd and del of an unknown account fail with the API's 404", async () => {
    const jid = `${uniqueName("ghost")}@localhost`;
    const passwd = await run(["user", "passwd", jid, "--password", "x", ...url()]);
    expect(passwd.code).toBe(1);
    expect(passwd.stderr).toBe(`xmpp-edge: GET /admin/users/${jid} failed: HTTP 404 Not Found: no account ${jid}\n`);
    const del = await run(["user", "del", jid, ...url()]);
    expect(del.code).toBe(1);
    expect(del.stderr).toBe(`xmpp-edge: DELETE /admin/users/${jid} failed: HTTP 404 Not Found: no account ${jid}\n`);
    const res = await fetch(`${gatewayUrl()}/admin/users/${jid}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(404); // passwd did not create it
  });

  it("a host the gateway does not serve fails with the API's explanation", async () => {
    const r = await run(["user", "add", "someone@elsewhere.example", "--password", "x", ...url()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("xmpp-edge: PUT /admin/users/someone@elsewhere.example failed: HTTP 404 Not Found: elsewhere.example is not a host served here\n");
  });

  it("a wrong token fails with 401 and is not printed", async () => {
    const r = await run(["user", "del", `${uniqueName("x")}@localhost`, ...url()], { token: "not-the-token" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: HTTP 401 Unauthorized: missing or wrong bearer token\n$/);
    expect(r.stderr).not.toContain("not-the-token");
  });

  it("takes the token from .dev.vars in the current directory when ADMIN_TOKEN is unset", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xe-cli-"));
    writeFileSync(join(dir, ".dev.vars"), `# local secrets\nCOMPONENT_SECRETS={"a":"b"}\nADMIN_TOKEN=${ADMIN_TOKEN}\n`);
    const jid = `${uniqueName("devvars")}@localhost`;
    const r = await run(["user", "add", jid, "--password", "pw1", ...url()], { token: null, cwd: dir });
    expect(r).toEqual({ code: 0, stdout: `created ${jid}\n`, stderr: "" });
  });

  it("without any token it says where to put one (exit 1)", async () => {
    const r = await run(["user", "add", "a@localhost", "--password", "x", ...url()], { token: null });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("xmpp-edge: no admin token: set ADMIN_TOKEN in the environment or in .dev.vars in the current directory\n");
  });

  it("an empty standard input is refused (exit 1) and creates nothing", async () => {
    const jid = `${uniqueName("nopw")}@localhost`;
    const r = await run(["user", "add", jid, ...url()], { stdin: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("xmpp-edge: no password on standard input\n");
    const res = await fetch(`${gatewayUrl()}/admin/users/${jid}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(404);
  });

  it("an unreachable gateway is an error (exit 1) naming the URL", async () => {
    const port = await freePort();
    const r = await run(["user", "del", "a@localhost", "--url", `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^xmpp-edge: cannot reach the gateway at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});

describe("usage errors exit with 2", () => {
  it.each([
    [[]],
    [["frobnicate"]],
    [["user"]],
    [["user", "add"]],
    [["user", "add", "a@localhost", "b@localhost"]],
    [["user", "rename", "a@localhost"]],
    [["user", "add", "a@localhost", "--bogus"]],
    [["user", "del", "a@localhost", "--password", "x"]],
    [["user", "add", "a@localhost", "--url", "ftp://x"]],
    [["bridge", "--listen", "nowhere"]],
    [["bridge", "--gateway", "http://127.0.0.1:1/xmpp-component"]],
  ])("xmpp-edge %j", async (args) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^xmpp-edge: .+\nusage:\n/);
    expect(r.stdout).toBe("");
  });

  it("--help prints the usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage:\n {2}xmpp-edge user add JID/);
  });
});
