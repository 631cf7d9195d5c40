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
