// The two web pages (CONTRACT.md "The web pages") and what they load through the Worker.
// GET / is the web client; its files are static assets, Converse's own routed through here
// (run_worker_first in wrangler.toml) so that web_client = false turns them off too.
// GET /console is the administration console; /console/admin-api tells it, without a
// token, whether the API is on.
import { Hono, type Context } from "hono";
import type { AdminCtx } from "./admin-context";
import { clientPageHeaders, consolePageHeaders } from "./csp";
import { clientPage } from "./web-client";
import { CONSOLE_PAGE, adminApiState } from "./console-page";

export const pages = new Hono<AdminCtx>();

pages.get("/", (c) => {
  if (!c.get("config").webClient) return c.json({ error: "the web client is turned off (XMPP_CONFIG.web_client = false)" }, 404);
  return c.body(clientPage(c.get("config")), 200, clientPageHeaders(c.req.url));
});

function clientAsset(c: Context<AdminCtx>): Response | Promise<Response> {
  if (!c.get("config").webClient || !c.env.ASSETS) return new Response("not found\n", { status: 404 });
  return c.env.ASSETS.fetch(c.req.raw);
}
pages.get("/converse/*", clientAsset);
// The OMEMO library asks for its WebAssembly next to the page, not under /converse/.
pages.get("/curve25519_compiled.wasm", clientAsset);

pages.get("/console", (c) => c.body(CONSOLE_PAGE, 200, consolePageHeaders()));
pages.get("/console/admin-api", (c) => c.json(adminApiState(c.get("config").adminToken), 200, { "Cache-Control": "no-store" }));
