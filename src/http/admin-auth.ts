// Who may call the administration API: same-origin callers (or non-browser ones, which
// send no Origin) holding the bearer token. No CORS headers are ever sent, and a request
// from a page of another origin is refused before the token is even looked at.
import type { MiddlewareHandler } from "hono";
import type { AdminCtx } from "./admin-context";
import { constantTimeEqualStrings } from "../component/handshake";

/** The token of an `Authorization: Bearer TOKEN` header; the scheme is case-insensitive (RFC 9110 §11.1). */
export function bearerToken(header: string | undefined): string | null {
  const m = /^bearer +(\S.*)$/i.exec((header ?? "").trim());
  return m ? m[1]!.trim() : null;
}

/** Whether an Origin header names the origin the request was sent to (or is absent). */
export function sameOrigin(origin: string | undefined, requestUrl: string, host: string | undefined): boolean {
  if (origin === undefined) return true;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false; // includes "null" (sandboxed frames, file: pages)
  }
  const url = new URL(requestUrl);
  if (o.origin === url.origin) return true;
  // Behind a local proxy (wrangler dev) the Host header is what the browser addressed.
  return host !== undefined && o.host === host && o.protocol === url.protocol;
}

export const adminAuth: MiddlewareHandler<AdminCtx> = async (c, next) => {
  if (!sameOrigin(c.req.header("origin"), c.req.url, c.req.header("host"))) {
    return c.json({ error: "cross-origin requests to the administration API are refused" }, 403);
  }
  const token = c.get("config").adminToken;
  if (!token) return c.json({ error: "the administration API is off: ADMIN_TOKEN is not set" }, 404);
  const offered = bearerToken(c.req.header("authorization"));
  if (!offered || !constantTimeEqualStrings(offered, token)) {
    return c.json({ error: "missing or wrong bearer token" }, 401, { "WWW-Authenticate": "Bearer" });
  }
  await next();
};
