// The administration API (CONTRACT.md "Administration API"): bearer-token
// protected account management. Answers never carry a password or a hash.
import { Hono } from "hono";
import type { GatewayConfig } from "../config";
import { parseJid } from "../jid/jid";
import { portsOf } from "../ports/from-env";
import { deriveCredentials } from "../sasl";
import { adminAuth } from "./admin-auth";
import type { AdminCtx } from "./admin-context";
import { accountPage, configuredHost, pageQuery, sessionsPage } from "./admin-accounts";
import { componentViews } from "./admin-components";
import { delegationViews } from "./admin-delegations";
import { MAX_PASSWORD_LENGTH } from "../registration/registration";
import { privilegeReport } from "../privilege/admin-report";

export const admin = new Hono<AdminCtx>();

admin.use("*", adminAuth);

/**
 * The account JID in the path, validated: a bare JID at a configured host. `raw` is
 * hono's path parameter, already percent-decoded once (decoding it again would turn
 * "%2541" into "A" and make a lone "%" throw).
 */
function accountJid(config: GatewayConfig, raw: string): { bare: string } | { error: string; status: 400 | 404 } {
  const jid = parseJid(raw);
  if (!jid || !jid.local || jid.resource) return { error: `'${raw}' is not a bare JID (user@host)`, status: 400 };
  if (!config.hosts[jid.domain]) return { error: `${jid.domain} is not a host served here`, status: 404 };
  return { bare: jid.bare };
}

// XEP-0356 audit: the grants in effect and what each privileged entity did with them.
admin.get("/privileges", async (c) => c.json(await privilegeReport(portsOf(c.env), c.get("config"))));

// The console's first page: the configuration is valid (or this would be a 500 naming the
// bad key), its hosts with their account counts, and the components.
admin.get("/status", async (c) => {
  const config = c.get("config");
  const domains = Object.keys(config.hosts); // configuration order: the first is the default host
  const [hosts, components] = await Promise.all([
    Promise.all(domains.map(async (domain) => ({
      domain,
      registration: config.hosts[domain]!.registration,
      accounts: (await accountPage(portsOf(c.env), domain, { after: "", limit: 1 })).total,
    }))),
    componentViews(portsOf(c.env), config),
  ]);
  return c.json({ config: "valid", web_client: config.webClient, hosts, components });
});

admin.get("/components", async (c) => c.json({ components: await componentViews(portsOf(c.env), c.get("config")) }));

admin.get("/delegations", async (c) => c.json({ hosts: await delegationViews(portsOf(c.env), c.get("config")) }));

admin.get("/hosts/:host/users", async (c) => {
  const host = configuredHost(c.get("config"), c.req.param("host"));
  if (!host) return c.json({ error: `${c.req.param("host")} is not a host served here` }, 404);
  const page = await accountPage(portsOf(c.env), host, pageQuery(c.req.query("after"), c.req.query("limit")));
  return c.json({ host, ...page });
});

admin.get("/hosts/:host/sessions", async (c) => {
  const host = configuredHost(c.get("config"), c.req.param("host"));
  if (!host) return c.json({ error: `${c.req.param("host")} is not a host served here` }, 404);
  return c.json({ host, ...(await sessionsPage(portsOf(c.env), host, pageQuery(c.req.query("after"), c.req.query("limit")))) });
});

admin.put("/users/:jid", async (c) => {
  const target = accountJid(c.get("config"), c.req.param("jid"));
  if ("error" in target) return c.json({ error: target.error }, target.status);
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: "the body must be JSON: {\"password\": \"...\"}" }, 400);
  }
  const password = (body as { password?: unknown } | null)?.password;
  if (typeof password !== "string" || password.length === 0) return c.json({ error: "'password' must be a non-empty string" }, 400);
  if (password.length > MAX_PASSWORD_LENGTH) return c.json({ error: `'password' is longer than ${MAX_PASSWORD_LENGTH} characters` }, 400);
  const outcome = await portsOf(c.env).account(target.bare).setCredentials(await deriveCredentials(password), false);
  if (outcome === "created") return c.json({ jid: target.bare }, 201);
  return c.body(null, 204);
});

admin.get("/users/:jid", async (c) => {
  const target = accountJid(c.get("config"), c.req.param("jid"));
  if ("error" in target) return c.json({ error: target.error }, target.status);
  if (!(await portsOf(c.env).account(target.bare).exists())) return c.json({ error: `no account ${target.bare}` }, 404);
  return c.json({ jid: target.bare });
});

admin.delete("/users/:jid", async (c) => {
  const target = accountJid(c.get("config"), c.req.param("jid"));
  if ("error" in target) return c.json({ error: target.error }, target.status);
  const existed = await portsOf(c.env).account(target.bare).deleteAccount("account deleted by the administrator");
  if (!existed) return c.json({ error: `no account ${target.bare}` }, 404);
  return c.body(null, 204);
});
