// The Worker: HTTP routes (hono). WebSocket upgrades go to a fresh SessionObject,
// which holds the socket from then on; the Worker itself keeps nothing.
import { Hono } from "hono";
import type { Env } from "./env";
import { loadConfig, type GatewayConfig } from "./config";
import { admin } from "./http/admin";
import { hostMetaJson, hostMetaXml } from "./http/host-meta";
import { pages } from "./http/pages";

export { SessionObject } from "../durable-objects/session";
export { AccountObject } from "../durable-objects/account";
export { ComponentRouter } from "../durable-objects/component-router";
export { HostObject } from "../durable-objects/host";
export { ThrottleObject } from "../durable-objects/throttle";

type Ctx = { Bindings: Env; Variables: { config: GatewayConfig } };
const app = new Hono<Ctx>();

// A configuration that does not validate is never half-applied: every endpoint says why.
app.use("*", async (c, next) => {
  const loaded = loadConfig(c.env);
  if (!loaded.ok) {
    console.error(`invalid configuration: ${loaded.error}`);
    return c.json({ status: "error", error: `invalid configuration: ${loaded.error}` }, 500);
  }
  c.set("config", loaded.config);
  await next();
});

// Public: the status and the hosts (host-meta shows those anyway). Components are listed
// behind the admin token (GET /admin/components).
app.get("/health", (c) => c.json({ status: "ok", hosts: Object.keys(c.get("config").hosts) }));

app.route("/", pages);

app.get("/.well-known/host-meta", (c) => c.body(hostMetaXml(c.req.url), 200, { "Content-Type": "application/xrd+xml", "Access-Control-Allow-Origin": "*" }));
app.get("/.well-known/host-meta.json", (c) => c.json(hostMetaJson(c.req.url), 200, { "Access-Control-Allow-Origin": "*" }));

/** RFC 7395 §3.1: an upgrade without the `xmpp` subprotocol is refused. */
function upgrade(c: { req: { raw: Request; header(name: string): string | undefined }; env: Env }): Response | Promise<Response> {
  if ((c.req.header("upgrade") ?? "").toLowerCase() !== "websocket") {
    return new Response("this endpoint expects a WebSocket upgrade (RFC 7395)\n", { status: 426, headers: { Upgrade: "websocket" } });
  }
  const protocols = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  if (!protocols.includes("xmpp")) {
    return new Response("the WebSocket subprotocol 'xmpp' is required (RFC 7395 §3.1)\n", { status: 400 });
  }
  const stub = c.env.SESSION.get(c.env.SESSION.newUniqueId());
  return stub.fetch(c.req.raw);
}

app.get("/xmpp-websocket", (c) => upgrade(c));
app.get("/xmpp-component", (c) => upgrade(c));
app.route("/admin", admin);
app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));

export default app;
