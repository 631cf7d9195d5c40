// XEP-0077 in-band registration on reg.localhost (registration = true), and the admin API.
// References: XEP-0077 §3.1 (registration form and account creation before authentication),
// §3.2 (cancellation: <remove/>), §3.3 (password change), §4 (stream feature), §3.1 error
// cases (conflict when the username is taken, not-acceptable when fields are missing);
// CONTRACT.md "Administration API" (bearer token, 201/204/404, no secrets in answers,
// DELETE closes the account's sessions).
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "./support/config";
import { createUser, gatewayUrl, uniqueName, wsUrl } from "./support/gateway";
import { isPresence, nextId, online } from "./support/im";
import { RawXmpp, is, stanzaError, streamCondition } from "./support/raw-client";

const REG = "jabber:iq:register";

async function preAuth(domain = "reg.localhost") {
  const c = await RawXmpp.open(wsUrl(gatewayUrl()));
  const { features } = await c.openStream(domain);
  return { c, features };
}

async function register(c: RawXmpp, username: string, password: string) {
  const id = nextId("reg");
  return c.iq(`<iq xmlns='jabber:client' type='set' id='${id}'><query xmlns='${REG}'><username>${username}</username><password>${password}</password></query></iq>`, id);
}

describe("in-band registration (XEP-0077)", () => {
  it("the stream features advertise registration only where it is enabled (§4)", async () => {
    const reg = await preAuth("reg.localhost");
    expect(reg.features.getChild("register", "http://jabber.org/features/iq-register")).toBeDefined();
    reg.c.close();
    const plain = await preAuth("localhost");
    expect(plain.features.getChild("register", "http://jabber.org/features/iq-register")).toBeUndefined();
    plain.c.close();
  });

  it("the registration form asks for username and password (§3.1)", async () => {
    const { c } = await preAuth();
    const r = await c.iq(`<iq xmlns='jabber:client' type='get' id='form'><query xmlns='${REG}'/></iq>`, "form");
    expect(r.attrs.type).toBe("result");
    const q = r.getChild("query", REG)!;
    expect(q.getChild("username")).toBeDefined();
    expect(q.getChild("password")).toBeDefined();
    expect(q.getChildText("instructions")).toBeTruthy();
    expect(q.getChild("registered")).toBeUndefined();
    c.close();
  });

  it("creates an account, refuses the same username again with conflict, then logs in (§3.1)", async () => {
    const name = uniqueName("ibr");
    const { c } = await preAuth();
    const ok = await register(c, name, "first-pw");
    expect(ok.attrs.type).toBe("result");
    const again = await register(c, name, "other");
    expect(stanzaError(again)).toEqual({ type: "cancel", condition: "conflict" });
    c.close();

    const s = await RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost", password: "first-pw", resource: "r" });
    expect(s.jid).toBe(`${name}@reg.localhost/r`);
    // After authentication the form says the user is registered.
    const info = await s.iq(`<iq xmlns='jabber:client' type='get' id='who'><query xmlns='${REG}'/></iq>`, "who");
    const q = info.getChild("query", REG)!;
    expect(q.getChild("registered")).toBeDefined();
    expect(q.getChildText("username")).toBe(name);
    s.close();
    // The admin API sees it.
    const res = await fetch(`${gatewayUrl()}/admin/users/${name}@reg.localhost`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it("an account made by the admin API cannot be taken over by registration", async () => {
    const name = uniqueName("taken");
    await createUser(`${name}@reg.localhost`, "admin-pw");
    const { c } = await preAuth();
    expect(stanzaError(await register(c, name, "mine-now"))).toEqual({ type: "cancel", condition: "conflict" });
    c.close();
    const s = await RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost", password: "admin-pw" });
    s.close();
  });

  it("missing fields get not-acceptable; a bad username jid-malformed", async () => {
    const { c } = await preAuth();
    const id = nextId("miss");
    const r = await c.iq(`<iq xmlns='jabber:client' type='set' id='${id}'><query xmlns='${REG}'><username>x${id}</username></query></iq>`, id);
    expect(stanzaError(r)).toEqual({ type: "modify", condition: "not-acceptable" });
    const bad = await register(c, "a@b", "pw");
    expect(stanzaError(bad)).toEqual({ type: "modify", condition: "jid-malformed" });
    c.close();
  });

  it("changes the password of the authenticated account (§3.3)", async () => {
    const name = uniqueName("chpw");
    const { c } = await preAuth();
    await register(c, name, "old-pw");
    c.close();
    const s = await RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost", password: "old-pw" });
    const r = await register(s, name, "new-pw");
    expect(r.attrs.type).toBe("result");
    // Another user's password cannot be changed.
    const other = await register(s, uniqueName("victim"), "x");
    expect(stanzaError(other)).toEqual({ type: "cancel", condition: "not-allowed" });
    s.close();
    await expect(RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost", password: "old-pw" })).rejects.toThrow(/failed/);
    const fresh = await RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost", password: "new-pw", mechanism: "SCRAM-SHA-1" });
    fresh.close();
  });

  it("removes the account (§3.2): result, the session ends, login fails", async () => {
    const name = uniqueName("rm");
    const { c } = await preAuth();
    await register(c, name, "pw");
    c.close();
    const s = await RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost" });
    s.send(`<iq xmlns='jabber:client' type='set' id='bye'><query xmlns='${REG}'><remove/></query></iq>`);
    const r = await s.next(is.iq("bye"));
    expect(r.attrs.type).toBe("result");
    // Then the stream ends: a stream error and <close/>.
    expect(streamCondition(await s.next(is.streamError()))).toBe("not-authorized");
    await s.next(is.close());
    await s.closed;
    await expect(RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost" })).rejects.toThrow(/failed/);
    const res = await fetch(`${gatewayUrl()}/admin/users/${name}@reg.localhost`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(404);
  });

  it("registration before authentication on a host without it is refused", async () => {
    const { c } = await preAuth("localhost");
    c.send(`<iq xmlns='jabber:client' type='set' id='nope'><query xmlns='${REG}'><username>${uniqueName("x")}</username><password>pw</password></query></iq>`);
    const err = await c.next(is.streamError());
    expect(streamCondition(err)).toBe("not-authorized");
    c.close();
  });
});

describe("administration API (CONTRACT.md)", () => {
  const api = (path: string, init: RequestInit = {}, token: string | null = ADMIN_TOKEN) =>
    fetch(`${gatewayUrl()}/admin${path}`, {
      ...init,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), "Content-Type": "application/json", ...(init.headers as Record<string, string>) },
    });

  it("401 without the token or with a wrong one", async () => {
    const jid = `${uniqueName("noauth")}@localhost`;
    for (const token of [null, "wrong-token", `${ADMIN_TOKEN}x`]) {
      expect((await api(`/users/${jid}`, {}, token)).status).toBe(401);
      expect((await api(`/users/${jid}`, { method: "PUT", body: JSON.stringify({ password: "pw" }) }, token)).status).toBe(401);
      expect((await api(`/users/${jid}`, { method: "DELETE" }, token)).status).toBe(401);
    }
    const basic = await fetch(`${gatewayUrl()}/admin/users/${jid}`, { headers: { Authorization: `Basic ${Buffer.from(`a:${ADMIN_TOKEN}`).toString("base64")}` } });
    expect(basic.status).toBe(401);
    // Nothing was created.
    expect((await api(`/users/${jid}`)).status).toBe(404);
  });

  it("PUT creates (201) then changes the password (204); GET never shows a secret", async () => {
    const jid = `${uniqueName("adm")}@localhost`;
    const created = await api(`/users/${jid}`, { method: "PUT", body: JSON.stringify({ password: "one" }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ jid });
    const changed = await api(`/users/${jid}`, { method: "PUT", body: JSON.stringify({ password: "two" }) });
    expect(changed.status).toBe(204);
    expect(await changed.text()).toBe("");

    const got = await api(`/users/${jid}`);
    expect(got.status).toBe(200);
    const text = await got.text();
    expect(JSON.parse(text)).toEqual({ jid });
    expect(text.replace(jid, "")).not.toMatch(/two|salt|stored|server_?key|hash|password|iteration/i);

    await expect(RawXmpp.login(gatewayUrl(), { username: jid.split("@")[0]!, password: "one" })).rejects.toThrow(/failed/);
    const s = await RawXmpp.login(gatewayUrl(), { username: jid.split("@")[0]!, password: "two", mechanism: "PLAIN" });
    s.close();
  });

  it("JIDs are normalised: an upper-case PUT is the same account", async () => {
    const name = uniqueName("case");
    await createUser(`${name}@localhost`);
    const res = await api(`/users/${name.toUpperCase()}@LOCALHOST`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jid: `${name}@localhost` });
  });

  it("GET and DELETE of an unknown account are 404; bad input is 400; unknown host 404", async () => {
    const ghost = `${uniqueName("ghost")}@localhost`;
    expect((await api(`/users/${ghost}`)).status).toBe(404);
    expect((await api(`/users/${ghost}`, { method: "DELETE" })).status).toBe(404);
    expect((await api(`/users/not-a-bare-jid@localhost%2Fres`)).status).toBe(400);
    expect((await api(`/users/${uniqueName("x")}@elsewhere.example`, { method: "PUT", body: JSON.stringify({ password: "pw" }) })).status).toBe(404);
    expect((await api(`/users/${ghost}`, { method: "PUT", body: "not json" })).status).toBe(400);
    expect((await api(`/users/${ghost}`, { method: "PUT", body: JSON.stringify({ password: "" }) })).status).toBe(400);
    expect((await api(`/users/${ghost}`, { method: "PUT", body: JSON.stringify({}) })).status).toBe(400);
  });

  it("DELETE (204) closes the account's sessions and removes its data", async () => {
    const name = uniqueName("del");
    const jid = `${name}@localhost`;
    await createUser(jid);
    const s1 = await RawXmpp.login(gatewayUrl(), { username: name, resource: "one" });
    const s2 = await RawXmpp.login(gatewayUrl(), { username: name, resource: "two" });
    // Some data: a roster item.
    await s1.iq(`<iq xmlns='jabber:client' type='set' id='ri'><query xmlns='jabber:iq:roster'><item jid='friend@localhost'/></query></iq>`, "ri");

    const res = await api(`/users/${jid}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    for (const s of [s1, s2]) {
      const err = await s.next(is.streamError());
      expect(streamCondition(err)).toBe("not-authorized");
      await s.next(is.close());
      await s.closed;
    }
    expect((await api(`/users/${jid}`)).status).toBe(404);
    await expect(RawXmpp.login(gatewayUrl(), { username: name })).rejects.toThrow(/failed/);

    // Re-created, the account starts empty.
    await createUser(jid);
    const again = await RawXmpp.login(gatewayUrl(), { username: name, resource: "new" });
    const roster = await again.iq(`<iq xmlns='jabber:client' type='get' id='rg'><query xmlns='jabber:iq:roster'/></iq>`, "rg");
    expect(roster.getChild("query", "jabber:iq:roster")!.getChildren("item")).toEqual([]);
    again.close();
  });

  it("DELETE of an online account tells its contacts it went unavailable", async () => {
    const name = uniqueName("del-online");
    const friend = uniqueName("del-friend");
    await createUser(`${name}@localhost`);
    await createUser(`${friend}@localhost`);
    const gone = await online(gatewayUrl(), name, "r");
    const f = await online(gatewayUrl(), friend, "f");
    f.send(`<presence xmlns='jabber:client' to='${name}@localhost' type='subscribe'/>`);
    await gone.next(isPresence(`${friend}@localhost`, "subscribe"));
    gone.send(`<presence xmlns='jabber:client' to='${friend}@localhost' type='subscribed'/>`);
    await f.next(isPresence(`${name}@localhost/r`));
    expect((await api(`/users/${name}@localhost`, { method: "DELETE" })).status).toBe(204);
    await f.next(isPresence(`${name}@localhost/r`, "unavailable"));
    await gone.closed;
    f.close();
  });
});
