// The administration API's account paths: hono hands over the JID already
// percent-decoded once; it must not be decoded again.
import { describe, expect, it } from "vitest";
import { SELF, env } from "cloudflare:test";
import { unique } from "./support/socket";

const api = (path: string, init: RequestInit = {}) =>
  SELF.fetch(`http://gw/admin${path}`, { ...init, headers: { Authorization: "Bearer test-admin-token", ...(init.headers ?? {}) } });

describe("admin API account paths", () => {
  it("a %25 in the path is a literal % in the JID, not a second escape", async () => {
    const local = `${unique("pct")}%41`;
    const res = await api(`/users/${local.replace("%", "%25")}@localhost`, { method: "PUT", body: JSON.stringify({ password: "pw" }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ jid: `${local}@localhost` });
    expect(await env.ACCOUNT.getByName(`${local}@localhost`).exists()).toBe(true);
    // Decoding twice would have created the account "...A@localhost" instead.
    expect(await env.ACCOUNT.getByName(`${local.replace("%41", "a")}@localhost`).exists()).toBe(false);
  });

  it("a lone % (%25) is looked up literally: 404 for a missing account, not a 500", async () => {
    const res = await api(`/users/${unique("lone")}%25@localhost`);
    expect(res.status).toBe(404);
    expect((await res.json() as { error: string }).error).toMatch(/^no account /);
  });

  it("a path that is not a bare JID gets 400", async () => {
    for (const bad of ["%40localhost", "a%2Fb%40localhost", "a@localhost%2Fres", "%20@localhost"]) {
      const res = await api(`/users/${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });
});

const TOKEN = "test-admin-token";
const call = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
  SELF.fetch(`http://gw${path}`, { ...init, headers });

describe("admin API authorization (issue 14, item 14)", () => {
  it("accepts the Bearer scheme in any case, refuses other schemes and wrong tokens", async () => {
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      expect((await call("/admin/status", { Authorization: `${scheme} ${TOKEN}` })).status, scheme).toBe(200);
    }
    for (const header of [TOKEN, `Basic ${TOKEN}`, `Bearer`, `Bearer ${TOKEN}x`, `Bearer${TOKEN}`, `Token ${TOKEN}`]) {
      const res = await call("/admin/status", { Authorization: header });
      expect(res.status, header).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
    }
    expect((await call("/admin/status")).status).toBe(401);
  });

  it("refuses requests from another origin, even with the token, and sends no CORS headers", async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    for (const origin of ["https://evil.example", "http://gw.evil.example", "null", "https://gw"]) {
      const res = await call("/admin/status", { ...auth, Origin: origin });
      expect(res.status, origin).toBe(403);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    }
    const preflight = await call("/admin/users/x@localhost", { Origin: "https://evil.example", "Access-Control-Request-Method": "DELETE" }, { method: "OPTIONS" });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    // The page's own origin (what the console sends) is fine.
    expect((await call("/admin/status", { ...auth, Origin: "http://gw" })).status).toBe(200);
  });

  it("GET /health shows the status and the hosts, not the components", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", hosts: ["localhost"] });
  });
});

describe("admin API figures (README 'Administration API')", () => {
  const auth = { Authorization: `Bearer ${TOKEN}` };

  it("every new call is 401 without the token", async () => {
    for (const path of ["/admin/status", "/admin/components", "/admin/delegations", "/admin/hosts/localhost/users", "/admin/hosts/localhost/sessions", "/admin/privileges"]) {
      expect((await call(path)).status, path).toBe(401);
    }
  });

  it("GET /admin/status: the configuration is valid, hosts with account counts, components", async () => {
    const before = ((await (await call("/admin/status", auth)).json()) as { hosts: Array<{ accounts: number }> }).hosts[0]!.accounts;
    const jid = `${unique("st")}@localhost`;
    expect((await api(`/users/${jid}`, { method: "PUT", body: JSON.stringify({ password: "pw" }) })).status).toBe(201);
    const res = await call("/admin/status", auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      config: "valid",
      web_client: true,
      hosts: [{ domain: "localhost", registration: false, accounts: before + 1 }],
      components: [{ jid: "pubsub.localhost", connected: false, since: null, has_secret: true }],
    });
  });

  it("account listing: created accounts appear in order, a password change does not list twice, deletion unlists", async () => {
    const prefix = unique("ls");
    const jids = ["a", "b", "c"].map((x) => `${prefix}${x}@localhost`);
    for (const jid of jids) await api(`/users/${jid}`, { method: "PUT", body: JSON.stringify({ password: "pw" }) });
    expect((await api(`/users/${jids[0]}`, { method: "PUT", body: JSON.stringify({ password: "pw2" }) })).status).toBe(204);
    // Start right before the prefix: the page holds exactly these three.
    const res = await call(`/admin/hosts/localhost/users?limit=3&after=${encodeURIComponent(prefix)}`, auth);
    const page = (await res.json()) as { accounts: string[]; next: string | null; total: number };
    expect(page.accounts).toEqual(jids);
    expect((await api(`/users/${jids[1]}`, { method: "DELETE" })).status).toBe(204);
    const after = (await (await call(`/admin/hosts/localhost/users?limit=2&after=${encodeURIComponent(prefix)}`, auth)).json()) as typeof page;
    expect(after.accounts).toEqual([jids[0], jids[2]]);
    expect(after.total).toBe(page.total - 1);
    // Bad paging values fall back to the default; a huge limit is capped.
    expect((await call("/admin/hosts/localhost/users?limit=-4", auth)).status).toBe(200);
    expect((await call("/admin/hosts/localhost/users?limit=99999", auth)).status).toBe(200);
    expect((await call("/admin/hosts/elsewhere.example/users", auth)).status).toBe(404);
    expect((await call("/admin/hosts/elsewhere.example/sessions", auth)).status).toBe(404);
  });

  it("an account missing from the directory (older than it) is listed again when its password is set", async () => {
    const jid = `${unique("old")}@localhost`;
    await api(`/users/${jid}`, { method: "PUT", body: JSON.stringify({ password: "pw" }) });
    await env.HOST.getByName("localhost").setListed(jid, false);
    const listed = async () => ((await (await call(`/admin/hosts/localhost/users?limit=1&after=${encodeURIComponent(jid.slice(0, -1))}`, auth)).json()) as { accounts: string[] }).accounts;
    expect(await listed()).not.toContain(jid);
    expect((await api(`/users/${jid}`, { method: "PUT", body: JSON.stringify({ password: "pw2" }) })).status).toBe(204);
    expect(await listed()).toEqual([jid]);
  });

  it("GET /admin/delegations: every delegation of the host with its component, filtering and counters", async () => {
    const res = await call("/admin/delegations", auth);
    const body = (await res.json()) as { hosts: Record<string, Array<Record<string, unknown>>> };
    const mam = body.hosts.localhost!.find((d) => d.namespace === "urn:xmpp:mam:2");
    expect(mam).toEqual({
      namespace: "urn:xmpp:mam:2",
      component: "pubsub.localhost",
      filtering: ["node"],
      connected: false,
      counts: { forwarded: 0, answered: 0, failed: 0, timed_out: 0 },
    });
    expect(body.hosts.localhost!.map((d) => d.namespace)).toEqual([
      "http://jabber.org/protocol/pubsub",
      "urn:xmpp:delegation:2:bare:disco#info:*",
      "urn:xmpp:delegation:2:bare:disco#items:*",
      "urn:xmpp:mam:2",
    ]);
  });

  it("no answer carries a secret", async () => {
    for (const path of ["/admin/status", "/admin/components", "/admin/delegations", "/admin/privileges", "/admin/hosts/localhost/users", "/health", "/console/admin-api", "/", "/console"]) {
      const text = await (await call(path, auth)).text();
      expect(text, path).not.toContain("pubsub-secret");
      expect(text, path).not.toContain(TOKEN);
    }
  });
});

describe("the web pages", () => {
  it("GET / configures Converse for this gateway, with a CSP and no inline script", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self' ws://gw");
    expect(csp).toContain("frame-ancestors 'none'");
    // No eval and no inline script (WebAssembly compilation only, for Converse's OMEMO).
    expect(csp).not.toContain(" 'unsafe-eval'");
    expect(/script-src [^;]*/.exec(csp)?.[0]).toBe("script-src 'self' 'wasm-unsafe-eval'");
    const html = await res.text();
    const settings = /<script type="application\/json" id="xmpp-edge-settings">([^<]*)<\/script>/.exec(html);
    expect(JSON.parse(settings![1]!)).toEqual({ default_domain: "localhost", registration: false });
    // Every other script is an external file of this origin.
    expect([...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!.trim())).toEqual([
      'type="application/json" id="xmpp-edge-settings"',
      'type="module" src="/web/client.js"',
    ]);
    // Behind https the WebSocket is wss.
    expect((await SELF.fetch("https://gw/")).headers.get("content-security-policy")).toContain("connect-src 'self' wss://gw");
  });

  it("GET /console is a static page with a strict CSP; /console/admin-api says on", async () => {
    const res = await call("/console");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(await res.text()).toContain('<script type="module" src="/console/console.js"></script>');
    expect(await (await call("/console/admin-api")).json()).toEqual({ admin_api: "on" });
  });
});
