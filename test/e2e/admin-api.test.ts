// The administration API's figures over real sockets (README "Administration API"), on a
// gateway of its own so that the account directory holds exactly what this file creates:
// the per-host account listing with paging, who is online with which resources, the
// components and since when, the XEP-0355 delegations with their counters (forwarded,
// answered, failed, timed out) as a real component and client produce them, and the CLI's
// `user list` and `status`.
//
// References: XEP-0355 §Stanza forwarding (the wrapped request and reply), RFC 6120 §8.3
// (service-unavailable for a request nobody can answer).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, E2E_CONFIG } from "./support/config";
import { REPO_ROOT, createUser, startGateway, type Gateway } from "./support/gateway";
import { RawXmpp, type Element, stanzaError } from "./support/raw-client";

const HOST = "deleg.localhost";
const COMP = { jid: "deleg.comp.localhost", secret: "deleg-secret" };
const DNS = "urn:xmpp:delegation:2";
const FWD = "urn:xmpp:forward:0";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const TIMEOUT_MS = 1500;
const CLI = join(REPO_ROOT, "bin/xmpp-edge.mjs");

type Counts = { forwarded: number; answered: number; failed: number; timed_out: number };
type DelegationView = { namespace: string; component: string; filtering: string[]; connected: boolean; counts: Counts };

describe("admin API figures", () => {
  let gw: Gateway;
  const open: RawXmpp[] = [];

  const get = async (path: string, token: string | null = ADMIN_TOKEN) => {
    const res = await fetch(`${gw.url}/admin${path}`, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const pubsubCounts = async (): Promise<DelegationView> => {
    const { body } = await get("/delegations");
    const list = (body.hosts as Record<string, DelegationView[]>)[HOST]!;
    return list.find((d) => d.namespace === PUBSUB)!;
  };
  const request = (id: string) => `<iq xmlns='jabber:client' type='get' id='${id}'><pubsub xmlns='${PUBSUB}'><items node='n'/></pubsub></iq>`;
  const nextForward = (comp: RawXmpp) =>
    comp.next((el) => el.getName() === "iq" && el.attrs.type === "set" && !!el.getChild("delegation", DNS), 5000);

  beforeAll(async () => {
    gw = await startGateway({ vars: { XMPP_CONFIG: JSON.stringify({ ...E2E_CONFIG, delegation_timeout_ms: TIMEOUT_MS }) } });
  }, 90_000);
  afterAll(async () => {
    for (const c of open) c.close();
    await gw?.stop();
  });

  it("every new call answers 401 without the token and 403 from another origin", async () => {
    for (const path of ["/status", "/components", "/delegations", `/hosts/${HOST}/users`, `/hosts/${HOST}/sessions`]) {
      expect((await get(path, null)).status, path).toBe(401);
      expect((await get(path, "wrong")).status, path).toBe(401);
      const cross = await fetch(`${gw.url}/admin${path}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, Origin: "https://evil.example" } });
      expect(cross.status, path).toBe(403);
      expect(cross.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("lists a host's accounts in pages from the directory; deletion removes them", async () => {
    const names = ["u1", "u2", "u3", "u4", "u5"].map((n) => `${n}@${HOST}`);
    for (const jid of names) await createUser(jid, "pw", gw.url);
    await createUser("other@localhost", "pw", gw.url);

    const first = await get(`/hosts/${HOST}/users?limit=2`);
    expect(first.body).toEqual({ host: HOST, accounts: names.slice(0, 2), total: 5, next: names[1] });
    const second = await get(`/hosts/${HOST}/users?limit=2&after=${encodeURIComponent(names[1]!)}`);
    expect(second.body).toEqual({ host: HOST, accounts: names.slice(2, 4), total: 5, next: names[3] });
    const last = await get(`/hosts/${HOST}/users?limit=2&after=${encodeURIComponent(names[3]!)}`);
    expect(last.body).toEqual({ host: HOST, accounts: names.slice(4), total: 5, next: null });

    const del = await fetch(`${gw.url}/admin/users/${names[4]}`, { method: "DELETE", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(del.status).toBe(204);
    expect((await get(`/hosts/${HOST}/users`)).body).toEqual({ host: HOST, accounts: names.slice(0, 4), total: 4, next: null });
    expect((await get("/hosts/nowhere.example/users")).status).toBe(404);

    const status = await get("/status");
    expect(status.body.config).toBe("valid");
    const hosts = status.body.hosts as Array<{ domain: string; accounts: number }>;
    expect(hosts.map((h) => h.domain)).toEqual(Object.keys(E2E_CONFIG.hosts));
    expect(hosts.find((h) => h.domain === HOST)?.accounts).toBe(4);
    expect(hosts.find((h) => h.domain === "localhost")?.accounts).toBe(1);
  });

  it("shows who is online with which resources", async () => {
    const a = await RawXmpp.login(gw.url, { username: "u1", domain: HOST, resource: "laptop" });
    const b = await RawXmpp.login(gw.url, { username: "u1", domain: HOST, resource: "phone" });
    open.push(a, b);
    a.send("<presence xmlns='jabber:client'/>");
    await a.next((el) => el.getName() === "presence" && el.attrs.from === a.jid);
    const { body } = await get(`/hosts/${HOST}/sessions`);
    expect(body).toEqual({
      host: HOST,
      sessions: [{
        jid: `u1@${HOST}`,
        resources: [
          { resource: "laptop", available: true, priority: 0 },
          { resource: "phone", available: false, priority: 0 },
        ],
      }],
      next: null,
    });
    b.close();
    await b.closed;
    await expect.poll(async () => ((await get(`/hosts/${HOST}/sessions`)).body.sessions as Array<{ resources: unknown[] }>)[0]?.resources.length).toBe(1);
  });

  it("counts delegated requests: failed while the component is away, forwarded, answered, timed out", async () => {
    const user = await RawXmpp.login(gw.url, { username: "u2", domain: HOST, resource: "r" });
    open.push(user);
    expect(await pubsubCounts()).toMatchObject({ component: COMP.jid, connected: false, counts: { forwarded: 0, answered: 0, failed: 0, timed_out: 0 } });
    let components = (await get("/components")).body.components as Array<{ jid: string; connected: boolean; since: string | null }>;
    expect(components.find((c) => c.jid === COMP.jid)).toEqual({ jid: COMP.jid, connected: false, since: null, has_secret: true });

    // Nobody to forward to: service-unavailable, counted as failed (RFC 6120 §8.3.3.19).
    user.send(request("d1"));
    const offline = await user.next((el) => el.attrs.id === "d1");
    expect(stanzaError(offline)).toEqual({ type: "cancel", condition: "service-unavailable" });
    expect((await pubsubCounts()).counts).toEqual({ forwarded: 0, answered: 0, failed: 1, timed_out: 0 });

    const before = Date.now();
    const comp = await RawXmpp.component(gw.url, COMP.jid, COMP.secret);
    open.push(comp);
    components = (await get("/components")).body.components as typeof components;
    const since = components.find((c) => c.jid === COMP.jid);
    expect(since?.connected).toBe(true);
    expect(Date.parse(since?.since ?? "")).toBeGreaterThanOrEqual(before - 1000);
    expect((await pubsubCounts()).connected).toBe(true);

    // Forwarded and answered.
    user.send(request("d2"));
    const outer: Element = await nextForward(comp);
    expect((await pubsubCounts()).counts).toEqual({ forwarded: 1, answered: 0, failed: 1, timed_out: 0 });
    comp.send(`<iq xmlns='jabber:component:accept' from='${COMP.jid}' to='${HOST}' type='result' id='${outer.attrs.id}'>` +
      `<delegation xmlns='${DNS}'><forwarded xmlns='${FWD}'><iq xmlns='jabber:client' to='${user.jid}' type='result' id='d2'/></forwarded></delegation></iq>`);
    const answered = await user.next((el) => el.attrs.id === "d2");
    expect(answered.attrs.type).toBe("result");
    expect((await pubsubCounts()).counts).toEqual({ forwarded: 1, answered: 1, failed: 1, timed_out: 0 });

    // Forwarded and never answered: timed out after delegation_timeout_ms.
    user.send(request("d3"));
    await nextForward(comp);
    const late = await user.next((el) => el.attrs.id === "d3", TIMEOUT_MS + 8000);
    expect(stanzaError(late)).toEqual({ type: "cancel", condition: "service-unavailable" });
    expect((await pubsubCounts()).counts).toEqual({ forwarded: 2, answered: 1, failed: 1, timed_out: 1 });

    comp.close();
    await comp.closed;
    await expect.poll(async () => (await pubsubCounts()).connected).toBe(false);
    components = (await get("/components")).body.components as typeof components;
    expect(components.find((c) => c.jid === COMP.jid)?.connected).toBe(false);
  }, 30_000);

  it("the CLI's `user list HOST` and `status` print the same figures", async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args, "--url", gw.url], { env: { ...process.env, ADMIN_TOKEN }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    const list = await run(["user", "list", HOST]);
    expect(list).toMatchObject({ code: 0, stderr: "" });
    expect(list.stdout).toBe(["u1", "u2", "u3", "u4"].map((n) => `${n}@${HOST}\n`).join(""));

    const status = await run(["status"]);
    expect(status.code).toBe(0);
    const lines = status.stdout.trim().split("\n");
    expect(lines[0]).toBe(`gateway ${gw.url}: configuration valid, web client on`);
    expect(lines).toContain(`host ${HOST}: 4 accounts, registration closed`);
    expect(lines).toContain("host localhost: 1 account, registration closed");
    expect(lines.some((l) => l.startsWith(`component ${COMP.jid}: not connected since `))).toBe(true);
    // No secret anywhere in what the CLI prints.
    expect(status.stdout).not.toContain(COMP.secret);
    expect(status.stdout).not.toContain(ADMIN_TOKEN);

    const bad = await run(["user", "list", "nowhere.example"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("HTTP 404");
  });
});
