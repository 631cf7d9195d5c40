// XEP-0355 v0.5 client mode: the consent form (§Client delegation), its parsing, the
// configure command's form (§Configuration) and the grant store (in a real account
// object's SQLite) — only an explicit yes to a request grants.
import { describe, it, expect } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { parseFrame } from "../../src/xml/frame-parser";
import type { Element } from "../../src/xml/stanza";
import { parseConfig } from "../../src/config";
import { ClientGrantStore, MAX_PENDING_REQUESTS, REQUEST_TTL_MS, grantStore, takeClientGrants } from "../../src/delegation/client-mode/store";
import { CLIENT_MODE_FILTERED, clientModeAllows } from "../../src/delegation/client-mode/policy";
import { configureForm, formValues, isYes, requestMessage, submittedForm } from "../../src/delegation/client-mode/forms";
import { runClientCommand } from "../../src/delegation/client-mode/commands";

function parse(s: string): Element {
  const r = parseFrame(s, 1 << 20);
  if (!r.ok) throw new Error(r.text);
  return r.element;
}

describe("the consent form (#23)", () => {
  it("is a form message from the host: FORM_TYPE, a boolean per namespace defaulting to 0, a warning", () => {
    const m = requestMessage("example.org", "alice@example.org", "pep.example.org", "dlg-ask-1", ["http://jabber.org/protocol/pubsub", "urn:example:x"]);
    expect(m.attrs).toMatchObject({ from: "example.org", to: "alice@example.org", id: "dlg-ask-1" });
    const form = m.getChild("x", "jabber:x:data")!;
    expect(form.attrs.type).toBe("form");
    const fields = form.getChildren("field").map((f) => [f.attrs.var, f.attrs.type, f.getChildText("value"), f.attrs.label ?? ""]);
    expect(fields).toEqual([
      ["FORM_TYPE", "hidden", "urn:xmpp:delegation:2", ""],
      ["challenge", "hidden", "dlg-ask-1", ""],
      ["managing-entity", "jid-single", "pep.example.org", "Managing entity"],
      ["http://jabber.org/protocol/pubsub", "boolean", "0", "Publish-Subscribe / personal events (PEP) (http://jabber.org/protocol/pubsub)"],
      ["urn:example:x", "boolean", "0", "urn:example:x (urn:example:x)"],
    ]);
    expect(form.getChildText("instructions")).toMatch(/^pep\.example\.org asks to handle .* Only accept if you trust it completely\.$/);
  });

  it("reads submitted forms; only 1/true is yes (XEP-0004 §3.3)", () => {
    const msg = parse(
      "<message xmlns='jabber:client'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:delegation:2</value></field>" +
        "<field var='a'><value>1</value></field><field var='b'><value>true</value></field><field var='c'><value>0</value></field><field var='d'/><field var='e'><value>yes</value></field></x></message>",
    );
    const form = submittedForm(msg)!;
    const v = formValues(form);
    expect(["a", "b", "c", "d", "e"].map((k) => isYes(v.get(k)))).toEqual([true, true, false, false, false]);
    expect(submittedForm(parse("<message xmlns='jabber:client'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE'><value>urn:xmpp:delegation:2</value></field></x></message>"))).toBeNull();
    expect(submittedForm(parse("<message xmlns='jabber:client'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:other</value></field></x></message>"))).toBeNull();
  });

  it("keeps the server's own namespaces out of client mode (§Security 2)", () => {
    expect(CLIENT_MODE_FILTERED).toContain("urn:xmpp:delegation:2");
    expect(CLIENT_MODE_FILTERED).toContain("jabber:iq:roster");
  });
});

describe("the grant store (#21, #26, #27)", () => {
  it("grants only what was requested and explicitly accepted; revokes; reports changed managers", async () => {
    await runInDurableObject(env.ACCOUNT.getByName(`grants-${Date.now()}@localhost`), async (_obj, state) => {
      const store = new ClientGrantStore(state.storage.sql);
      // nothing requested: a yes grants nothing
      expect(runClientCommand(store, { op: "apply", answers: [{ manager: "pep.x", namespace: "urn:a", yes: true }] }).changed).toEqual([]);
      runClientCommand(store, { op: "ask", challenge: "c1", manager: "pep.x", namespaces: ["urn:a", "urn:b"] });
      const listed = runClientCommand(store, { op: "list" });
      expect(listed.requests).toEqual([
        { challenge: "c1", manager: "pep.x", namespace: "urn:a" },
        { challenge: "c1", manager: "pep.x", namespace: "urn:b" },
      ]);
      // a wrong challenge answers nothing
      expect(runClientCommand(store, { op: "answer-challenge", challenge: "c2", yes: ["urn:a"], no: [] }).grants).toEqual([]);
      const r = runClientCommand(store, { op: "answer-challenge", challenge: "c1", yes: ["urn:a"], no: ["urn:b"] });
      expect(r.grants).toEqual([{ manager: "pep.x", namespace: "urn:a" }]);
      expect(r.requests).toEqual([]);
      expect(r.changed).toEqual([{ manager: "pep.x", namespaces: ["urn:a"] }]);
      expect(runClientCommand(store, { op: "lookup", namespace: "urn:a" }).manager).toBe("pep.x");
      expect(runClientCommand(store, { op: "lookup", namespace: "urn:b" }).manager).toBeNull();
      // the configure form lists it with 1
      const form = configureForm(runClientCommand(store, { op: "list" }));
      expect(form.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")])).toEqual([
        ["FORM_TYPE", "urn:xmpp:delegation:2"],
        ["pep.x urn:a", "1"],
      ]);
      const revoked = runClientCommand(store, { op: "apply", answers: [{ manager: "pep.x", namespace: "urn:a", yes: false }] });
      expect(revoked.changed).toEqual([{ manager: "pep.x", namespaces: [] }]);
      expect(runClientCommand(store, { op: "lookup", namespace: "urn:a" }).manager).toBeNull();
    });
  });
});

describe("pending requests expire and are capped per user (#21)", () => {
  it("forgets a request 24 h after it was made: it is no longer listed and a yes grants nothing", async () => {
    await runInDurableObject(env.ACCOUNT.getByName(`expiry-${Date.now()}@localhost`), async (_obj, state) => {
      let now = 1_000_000;
      const store = new ClientGrantStore(state.storage.sql, () => now);
      expect(REQUEST_TTL_MS).toBe(24 * 60 * 60 * 1000);
      runClientCommand(store, { op: "ask", challenge: "c1", manager: "pep.x", namespaces: ["urn:a"] });
      now += REQUEST_TTL_MS - 1;
      expect(runClientCommand(store, { op: "list" }).requests).toEqual([{ challenge: "c1", manager: "pep.x", namespace: "urn:a" }]);
      // asked again: a new challenge and a new expiry
      runClientCommand(store, { op: "ask", challenge: "c2", manager: "pep.x", namespaces: ["urn:a", "urn:b"] });
      now += 2;
      expect(runClientCommand(store, { op: "list" }).requests.map((r) => [r.challenge, r.namespace])).toEqual([["c2", "urn:a"], ["c2", "urn:b"]]);
      now += REQUEST_TTL_MS;
      expect(runClientCommand(store, { op: "list" }).requests).toEqual([]);
      expect(runClientCommand(store, { op: "answer-challenge", challenge: "c2", yes: ["urn:a", "urn:b"], no: [] }).grants).toEqual([]);
      expect(runClientCommand(store, { op: "apply", answers: [{ manager: "pep.x", namespace: "urn:a", yes: true }] }).changed).toEqual([]);
      expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM dlg_client_ask").one().n).toBe(0);
    });
  });

  it(`keeps at most ${MAX_PENDING_REQUESTS} pending requests; more are dropped whole, repeats do not count twice`, async () => {
    await runInDurableObject(env.ACCOUNT.getByName(`cap-${Date.now()}@localhost`), async (_obj, state) => {
      let now = 5_000;
      const store = new ClientGrantStore(state.storage.sql, () => now);
      expect(MAX_PENDING_REQUESTS).toBe(20);
      const ns = (i: number) => `urn:n:${i}`;
      const first = Array.from({ length: 19 }, (_, i) => ns(i));
      expect(runClientCommand(store, { op: "ask", challenge: "c1", manager: "pep.x", namespaces: first }).accepted).toBe(true);
      // 19 pending + 2 new = 21: refused, nothing of it stored
      expect(runClientCommand(store, { op: "ask", challenge: "c2", manager: "pep.x", namespaces: [ns(19), ns(20)] }).accepted).toBe(false);
      expect(runClientCommand(store, { op: "list" }).requests).toHaveLength(19);
      // a repeat of pending ones plus one new = 20: accepted
      expect(runClientCommand(store, { op: "ask", challenge: "c3", manager: "pep.x", namespaces: [ns(0), ns(19)] }).accepted).toBe(true);
      expect(runClientCommand(store, { op: "list" }).requests).toHaveLength(20);
      expect(runClientCommand(store, { op: "ask", challenge: "c4", manager: "pep.y", namespaces: [ns(0)] }).accepted).toBe(false);
      // answering frees room: one refusal, then a whole challenge (c1 still holds ns 1-18)
      runClientCommand(store, { op: "apply", answers: [{ manager: "pep.x", namespace: ns(2), yes: false }] });
      expect(runClientCommand(store, { op: "ask", challenge: "c5", manager: "pep.y", namespaces: [ns(0)] }).accepted).toBe(true);
      expect(runClientCommand(store, { op: "ask", challenge: "c6", manager: "pep.y", namespaces: [ns(1)] }).accepted).toBe(false);
      runClientCommand(store, { op: "answer-challenge", challenge: "c1", yes: [], no: [] });
      expect(runClientCommand(store, { op: "list" }).requests.map((r) => r.challenge)).toEqual(["c3", "c3", "c5"]);
      // and so does expiry
      now += REQUEST_TTL_MS;
      expect(runClientCommand(store, { op: "ask", challenge: "c7", manager: "pep.y", namespaces: Array.from({ length: 20 }, (_, i) => ns(i)) }).accepted).toBe(true);
      expect(runClientCommand(store, { op: "list" }).requests).toHaveLength(20);
    });
  });
});

describe("the host's allowlist (hosts.H.client_delegation)", () => {
  it("allows only listed namespaces, never the server's own even if listed by hand", () => {
    const c = parseConfig({ XMPP_CONFIG: { hosts: { "a.example": { client_delegation: ["vcard-temp"] }, "b.example": {} } } });
    expect(clientModeAllows(c.hosts["a.example"]!, "vcard-temp")).toBe(true);
    expect(clientModeAllows(c.hosts["a.example"]!, "jabber:iq:private")).toBe(false);
    expect(clientModeAllows(c.hosts["b.example"]!, "vcard-temp")).toBe(false);
    const forged = { ...c.hosts["a.example"]!, clientDelegation: ["jabber:iq:roster"] };
    expect(clientModeAllows(forged, "jabber:iq:roster")).toBe(false);
  });
});

describe("account deletion (takeClientGrants)", () => {
  it("returns the grants and forgets the cached store, so a new account on the same storage starts clean", async () => {
    await runInDurableObject(env.ACCOUNT.getByName(`deleted-${Date.now()}@localhost`), async (_obj, state) => {
      const sql = state.storage.sql;
      const store = grantStore(sql);
      runClientCommand(store, { op: "ask", challenge: "c1", manager: "pep.x", namespaces: ["urn:a", "urn:b"] });
      runClientCommand(store, { op: "answer-challenge", challenge: "c1", yes: ["urn:a", "urn:b"], no: [] });
      expect(takeClientGrants(sql)).toEqual([
        { manager: "pep.x", namespace: "urn:a" },
        { manager: "pep.x", namespace: "urn:b" },
      ]);
      await state.storage.deleteAll();
      const fresh = grantStore(sql);
      expect(fresh).not.toBe(store);
      expect(runClientCommand(fresh, { op: "list" })).toMatchObject({ grants: [], requests: [] });
    });
  });
});
