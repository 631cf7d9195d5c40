// XEP-0356 permission decisions (src/privilege/rules.ts), without sockets.
// References: XEP-0356 v0.4.1 §4.1–§4.5; checklist items are quoted as #n (shared/xep0356.md).
import { describe, it, expect } from "vitest";
import { ConfigError, parseConfig } from "../../src/config";
import { presenceCanon } from "../../src/privilege/presence";
import { parseFrame } from "../../src/xml/frame-parser";
import type { Element } from "../../src/xml/stanza";
import {
  advertisement,
  auditKey,
  auditLine,
  checkPrivilegedIq,
  checkPrivilegedMessage,
  entityOf,
  grantsFor,
  isPrivilegedIq,
  isPrivilegedMessage,
  mayRoster,
  misaddressedPrivilegedIq,
  presenceCopy,
  presenceTargets,
  rosterPushTargets,
  wrappedIqAnswer,
} from "../../src/privilege/rules";

const PUBSUB = "http://jabber.org/protocol/pubsub";
const OWNER = "http://jabber.org/protocol/pubsub#owner";
const PRIV = "urn:xmpp:privilege:2";

const config = parseConfig({
  XMPP_CONFIG: JSON.stringify({
    hosts: {
      "a.example": {
        privileged_entities: {
          "pep.example": { roster: "both", message: "outgoing", presence: "roster", iq: { [PUBSUB]: "both", [OWNER]: "set", "urn:x:none": "none" } },
          "ro.example": { roster: "get", push: false, presence: "managed_entity", iq: { [PUBSUB]: "get" } },
          "romeo@a.example": { roster: "set" },
        },
      },
      "b.example": {
        privileged_entities: { "pep.example": { roster: "get" } },
      },
    },
    components: { "pep.example": {}, "ro.example": {}, "plain.example": {} },
  }),
});

function el(s: string): Element {
  const r = parseFrame(s, 1 << 20);
  if (!r.ok) throw new Error(r.text);
  return r.element;
}

describe("grants", () => {
  it("lists the hosts granting an entity, per host (#2)", () => {
    const g = grantsFor(config, "pep.example");
    expect(g.map((x) => [x.host, x.grant.roster])).toEqual([["a.example", "both"], ["b.example", "get"]]);
    expect(grantsFor(config, "plain.example")).toEqual([]);
    expect(grantsFor(config, "romeo@a.example").map((x) => x.host)).toEqual(["a.example"]);
  });

  it("finds the entity behind a from: component domain or bare JID", () => {
    expect(entityOf(config, "pep.example")).toBe("pep.example");
    expect(entityOf(config, "svc@pep.example/r")).toBe("pep.example");
    expect(entityOf(config, "romeo@a.example/phone")).toBe("romeo@a.example");
  });

  it("roster get/set by type (#10, #14)", () => {
    const a = config.hosts["a.example"]!.privileged;
    expect(mayRoster(a["pep.example"]!, "get")).toBe(true);
    expect(mayRoster(a["pep.example"]!, "set")).toBe(true);
    expect(mayRoster(a["ro.example"]!, "get")).toBe(true);
    expect(mayRoster(a["ro.example"]!, "set")).toBe(false);
    expect(mayRoster(a["romeo@a.example"]!, "get")).toBe(false);
    expect(mayRoster(a["romeo@a.example"]!, "set")).toBe(true);
    expect(mayRoster(null, "get")).toBe(false);
  });

  it("pushes only for get/both with push not false (#12, #16)", () => {
    expect(rosterPushTargets(config.hosts["a.example"]!)).toEqual(["pep.example"]);
    expect(rosterPushTargets(config.hosts["b.example"]!)).toEqual(["pep.example"]);
  });

  it("presence targets: roster implies managed_entity (#32, #39)", () => {
    expect(presenceTargets(config.hosts["a.example"]!, "own").sort()).toEqual(["pep.example", "ro.example"]);
    expect(presenceTargets(config.hosts["a.example"]!, "contacts")).toEqual(["pep.example"]);
    expect(presenceTargets(config.hosts["b.example"]!, "own")).toEqual([]);
  });
});

describe("advertisement (#4–#9)", () => {
  it("lists every access with its type, push and iq namespaces", () => {
    const grant = config.hosts["a.example"]!.privileged["pep.example"]!;
    expect(advertisement("a.example", grant, "pep.example", "adv-1").toString()).toBe(
      `<message xmlns="jabber:client" from="a.example" to="pep.example" id="adv-1"><privilege xmlns="${PRIV}">` +
        `<perm access="roster" type="both" push="true"/><perm access="message" type="outgoing"/>` +
        `<perm access="presence" type="roster"/><perm access="iq">` +
        `<namespace ns="${PUBSUB}" type="both"/><namespace ns="${OWNER}" type="set"/><namespace ns="urn:x:none" type="none"/>` +
        `</perm></privilege></message>`,
    );
  });

  it("advertises denied accesses as type='none' and push='false'", () => {
    const grant = config.hosts["a.example"]!.privileged["romeo@a.example"]!;
    expect(advertisement("a.example", grant, "romeo@a.example/x", "i").toString()).toBe(
      `<message xmlns="jabber:client" from="a.example" to="romeo@a.example/x" id="i"><privilege xmlns="${PRIV}">` +
        `<perm access="roster" type="set" push="false"/><perm access="message" type="none"/>` +
        `<perm access="presence" type="none"/><perm access="iq"/></privilege></message>`,
    );
  });
});

function privMessage(inner: string, to = "a.example"): Element {
  return el(`<message xmlns="jabber:client" from="pep.example" to="${to}" id="pm1"><privilege xmlns="${PRIV}"><forwarded xmlns="urn:xmpp:forward:0">${inner}</forwarded></privilege></message>`);
}

describe("privileged message (#18–#23)", () => {
  const inner = `<message xmlns="jabber:client" from="alice@a.example" to="bob@remote.net/phone" type="headline" id="ev-5"><body>x</body></message>`;

  it("accepts a bare JID of the granting host and keeps the inner message", () => {
    const r = checkPrivilegedMessage(config, privMessage(inner), "pep.example");
    expect(r).toMatchObject({ ok: true, host: "a.example", user: "alice@a.example" });
    if (!("ok" in r)) throw new Error("refused");
    expect(r.inner.toString()).toBe(`<message xmlns="jabber:client" from="alice@a.example" to="bob@remote.net/phone" type="headline" id="ev-5"><body>x</body></message>`);
    expect(isPrivilegedMessage(privMessage(inner))).toBe(true);
  });

  it("accepts the server itself as sender (#19)", () => {
    const r = checkPrivilegedMessage(config, privMessage(`<message from="a.example" to="bob@a.example"/>`), "pep.example");
    expect(r).toMatchObject({ ok: true, user: "a.example" });
  });

  it("refuses a full JID, another virtual host, a remote JID, a missing from (#21, #22)", () => {
    for (const from of ["alice@a.example/res", "alice@b.example", "alice@remote.net", "b.example"]) {
      const r = checkPrivilegedMessage(config, privMessage(`<message from="${from}" to="bob@a.example"/>`), "pep.example");
      expect(r, from).toMatchObject({ error: "forbidden" });
    }
    expect(checkPrivilegedMessage(config, privMessage(`<message to="bob@a.example"/>`), "pep.example")).toMatchObject({ error: "forbidden" });
  });

  it("refuses entities without the message permission, and on hosts that do not grant it", () => {
    expect(checkPrivilegedMessage(config, privMessage(inner), "ro.example")).toMatchObject({ error: "forbidden" });
    expect(checkPrivilegedMessage(config, privMessage(inner), "plain.example")).toMatchObject({ error: "forbidden" });
    // b.example grants pep.example roster only
    expect(checkPrivilegedMessage(config, privMessage(`<message from="alice@b.example" to="x@b.example"/>`, "b.example"), "pep.example")).toMatchObject({ error: "forbidden" });
  });

  it("answers bad-request to malformed wrappers (#20)", () => {
    const bad = [
      el(`<message to="a.example"><privilege xmlns="${PRIV}"/></message>`),
      el(`<message to="a.example"><privilege xmlns="${PRIV}"><forwarded xmlns="urn:other">${inner}</forwarded></privilege></message>`),
      el(`<message to="a.example"><privilege xmlns="${PRIV}">${inner}</privilege></message>`),
      privMessage(`${inner}${inner}`),
      privMessage(`<iq from="alice@a.example" to="x@a.example" type="get" id="1"/>`),
      privMessage(`<message from="alice@a.example"/>`),
    ];
    for (const b of bad) expect(checkPrivilegedMessage(config, b, "pep.example"), b.toString()).toMatchObject({ error: "bad-request" });
  });

  it("accepts a XEP-0297 <delay/> next to the message", () => {
    const r = checkPrivilegedMessage(config, privMessage(`<delay xmlns="urn:xmpp:delay" stamp="2020-01-01T00:00:00Z"/>${inner}`), "pep.example");
    expect(r).toMatchObject({ ok: true });
  });
});

function privIq(outerType: string, inner: string, to = "alice@a.example"): Element {
  return el(`<iq xmlns="jabber:client" from="pep.example" to="${to}" type="${outerType}" id="piq-1"><privileged_iq xmlns="${PRIV}">${inner}</privileged_iq></iq>`);
}
const sub = `<pubsub xmlns="${PUBSUB}"><subscribe node="n" jid="alice@a.example"/></pubsub>`;
const CLIENT = "jabber:client";
const COMPONENT = "jabber:component:accept";

describe("privileged IQ (#25–#31)", () => {
  it("accepts a granted namespace and type, stamping the user's bare JID (#30)", () => {
    const r = checkPrivilegedIq(config, privIq("set", `<iq xmlns="jabber:client" type="set" to="bob@remote.net" id="sub-1">${sub}</iq>`), "pep.example", COMPONENT);
    expect(r).toMatchObject({ ok: true, host: "a.example", user: "alice@a.example", namespace: PUBSUB });
    if (!("ok" in r)) throw new Error("refused");
    expect(r.inner.toString()).toBe(`<iq xmlns="jabber:client" type="set" to="bob@remote.net" id="sub-1" from="alice@a.example">${sub}</iq>`);
    expect(isPrivilegedIq(privIq("set", ""))).toBe(true);
  });

  it("accepts an inner from equal to the outer to (#27)", () => {
    const r = checkPrivilegedIq(config, privIq("get", `<iq xmlns="jabber:client" type="get" from="alice@a.example" id="i"><pubsub xmlns="${PUBSUB}"/></iq>`), "pep.example", COMPONENT);
    expect(r).toMatchObject({ ok: true });
  });

  it("(a) refuses a top-level to that is not a managed bare JID", () => {
    const inner = `<iq xmlns="jabber:client" type="set" id="i">${sub}</iq>`;
    for (const to of ["alice@a.example/res", "a.example", "alice@remote.net", "alice@b.example"]) {
      expect(checkPrivilegedIq(config, privIq("set", inner, to), "pep.example", COMPONENT), to).toMatchObject({ error: "forbidden" });
    }
    expect(checkPrivilegedIq(config, privIq("set", inner), "plain.example", COMPONENT)).toMatchObject({ error: "forbidden" });
  });

  it("(b) refuses a namespace without grant, or granted 'none'", () => {
    for (const ns of ["urn:xmpp:mam:2", "urn:x:none"]) {
      const r = checkPrivilegedIq(config, privIq("get", `<iq xmlns="jabber:client" type="get" id="i"><query xmlns="${ns}"/></iq>`), "pep.example", COMPONENT);
      expect(r, ns).toMatchObject({ error: "forbidden" });
    }
  });

  it("(c) refuses a type the namespace is not granted for", () => {
    const r = checkPrivilegedIq(config, privIq("get", `<iq xmlns="jabber:client" type="get" id="i"><pubsub xmlns="${OWNER}"/></iq>`), "pep.example", COMPONENT);
    expect(r).toMatchObject({ error: "forbidden" });
    const ro = checkPrivilegedIq(config, privIq("set", `<iq xmlns="jabber:client" type="set" id="i">${sub}</iq>`), "ro.example", COMPONENT);
    expect(ro).toMatchObject({ error: "forbidden" });
  });

  it("(d) refuses an inner IQ outside jabber:client (an unqualified one on a component stream too)", () => {
    expect(checkPrivilegedIq(config, privIq("set", `<iq xmlns="jabber:server" type="set" id="i">${sub}</iq>`), "pep.example", COMPONENT)).toMatchObject({ error: "forbidden" });
    expect(checkPrivilegedIq(config, privIq("set", `<iq type="set" id="i">${sub}</iq>`), "pep.example", COMPONENT)).toMatchObject({ error: "forbidden" });
    expect(checkPrivilegedIq(config, privIq("set", `<iq type="set" id="i">${sub}</iq>`), "pep.example", CLIENT)).toMatchObject({ ok: true });
  });

  it("(e) refuses an inner from other than the managed bare JID", () => {
    for (const from of ["alice@a.example/res", "bob@a.example", "pep.example"]) {
      const r = checkPrivilegedIq(config, privIq("set", `<iq xmlns="jabber:client" type="set" from="${from}" id="i">${sub}</iq>`), "pep.example", COMPONENT);
      expect(r, from).toMatchObject({ error: "forbidden" });
    }
  });

  it("(f) refuses differing outer and inner types", () => {
    const r = checkPrivilegedIq(config, privIq("get", `<iq xmlns="jabber:client" type="set" id="i">${sub}</iq>`), "pep.example", COMPONENT);
    expect(r).toMatchObject({ error: "forbidden" });
  });

  it("answers bad-request to malformed wrappers: no inner iq, two, no id, two payloads", () => {
    const cases = [
      privIq("set", ""),
      privIq("set", `<message xmlns="jabber:client"/>`),
      privIq("set", `<iq xmlns="jabber:client" type="set" id="1">${sub}</iq><iq xmlns="jabber:client" type="set" id="2">${sub}</iq>`),
      privIq("set", `<iq xmlns="jabber:client" type="set">${sub}</iq>`),
      privIq("set", `<iq xmlns="jabber:client" type="set" id="i">${sub}${sub}</iq>`),
      privIq("set", `<iq xmlns="jabber:client" type="set" id="i"/>`),
    ];
    for (const c of cases) expect(checkPrivilegedIq(config, c, "pep.example", COMPONENT), c.toString()).toMatchObject({ error: "bad-request" });
  });

  it("wraps the answer in <privilege><forwarded/> with the outer id, mirroring the type (#31)", () => {
    const answer = el(`<iq xmlns="jabber:client" type="result" from="bob@remote.net" to="alice@a.example" id="sub-1"><pubsub xmlns="${PUBSUB}"/></iq>`);
    expect(wrappedIqAnswer(answer, "alice@a.example", "pep.example", "piq-1").toString()).toBe(
      `<iq xmlns="jabber:client" type="result" from="alice@a.example" to="pep.example" id="piq-1"><privilege xmlns="${PRIV}"><forwarded xmlns="urn:xmpp:forward:0">` +
        `<iq xmlns="jabber:client" type="result" from="bob@remote.net" to="alice@a.example" id="sub-1"><pubsub xmlns="${PUBSUB}"/></iq></forwarded></privilege></iq>`,
    );
    const err = el(`<iq type="error" from="bob@remote.net" id="sub-1"><error type="cancel"/></iq>`);
    expect(wrappedIqAnswer(err, "alice@a.example", "pep.example", "o").attrs.type).toBe("error");
  });
});

describe("presence copies (#33, #34)", () => {
  it("copies available and unavailable presences with children intact (caps kept)", () => {
    const p = el(`<presence xmlns="jabber:client" from="alice@a.example/laptop" xml:lang="en" id="p1"><show>away</show><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/></presence>`);
    expect(presenceCopy(p, "alice@a.example/laptop", "pep.example")?.toString()).toBe(
      `<presence xmlns="jabber:client" from="alice@a.example/laptop" xml:lang="en" id="p1" to="pep.example"><show>away</show><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/></presence>`,
    );
    const u = el(`<presence type="unavailable"/>`);
    expect(presenceCopy(u, "alice@a.example/laptop", "pep.example")?.toString()).toBe(
      `<presence type="unavailable" xmlns="jabber:client" from="alice@a.example/laptop" to="pep.example"/>`,
    );
  });

  it("never copies subscriptions, probes or errors", () => {
    for (const t of ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"]) {
      expect(presenceCopy(el(`<presence type="${t}"/>`), "a@a.example/r", "pep.example"), t).toBeNull();
    }
  });
});

describe("audit", () => {
  it("is one JSON line per action, counted by access/outcome", () => {
    const e = { entity: "pep.example", access: "roster", action: "get", user: "alice@a.example", outcome: "ok" } as const;
    expect(JSON.parse(auditLine(e))).toEqual({ event: "privilege", entity: "pep.example", access: "roster", action: "get", user: "alice@a.example", outcome: "ok" });
    expect(auditKey(e)).toBe("roster/ok");
  });
});

describe("configuration-time refusals (#12, #36)", () => {
  const withGrant = (grant: Record<string, unknown>) => () =>
    parseConfig({ XMPP_CONFIG: JSON.stringify({ hosts: { "a.example": { privileged_entities: { "pep.example": grant } } }, components: { "pep.example": {} } }) });

  it("#36: presence 'roster' without roster get/both is not granted", () => {
    for (const roster of ["none", "set"]) {
      expect(withGrant({ roster, presence: "roster" }), roster).toThrow(ConfigError);
      expect(withGrant({ roster, presence: "roster" }), roster).toThrow(/privileged_entities\["pep.example"\]\.presence/);
    }
    expect(withGrant({ roster: "get", presence: "roster" })().hosts["a.example"]!.privileged["pep.example"]!.presence).toBe("roster");
  });

  it("#11 #12: push defaults to true for get/both, false otherwise; push=true with none/set is refused", () => {
    expect(withGrant({ roster: "both" })().hosts["a.example"]!.privileged["pep.example"]!.push).toBe(true);
    expect(withGrant({ roster: "set" })().hosts["a.example"]!.privileged["pep.example"]!.push).toBe(false);
    expect(withGrant({ roster: "set", push: true })).toThrow(ConfigError);
  });
});

describe("misaddressed privileged IQs (#29 a)", () => {
  it("refuses a privileged IQ to a host, a component or a remote JID, leaves accounts to the account", () => {
    const inner = `<iq xmlns="jabber:client" type="get" id="i"><ping xmlns="urn:xmpp:ping"/></iq>`;
    for (const to of ["a.example", "ro.example", "x@remote.net"]) {
      const r = misaddressedPrivilegedIq(config, privIq("get", inner, to), "pep.example");
      expect(r?.toString(), to).toBe(
        `<iq xmlns="jabber:client" type="error" from="${to}" to="pep.example" id="piq-1"><error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
          `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">a privileged IQ is addressed to a managed entity's bare JID</text></error></iq>`,
      );
    }
    expect(misaddressedPrivilegedIq(config, privIq("get", inner, "alice@a.example"), "pep.example")).toBeNull();
    expect(misaddressedPrivilegedIq(config, privIq("get", inner, "alice@a.example/r"), "pep.example")).toBeNull();
    expect(misaddressedPrivilegedIq(config, el(`<iq type="get" to="a.example" id="x"><ping xmlns="urn:xmpp:ping"/></iq>`), "pep.example")).toBeNull();
    expect(misaddressedPrivilegedIq(config, privIq("result", "", "a.example"), "pep.example")).toBeNull();
  });
});

describe("presence de-duplication key (#41)", () => {
  it("ignores 'to' and attribute order, not content", () => {
    const a = el(`<presence from="b@x/r" to="alice@a.example" id="1"><show>away</show></presence>`);
    const b = el(`<presence id="1" to="pep.example" from="b@x/r" xmlns="jabber:client"><show>away</show></presence>`);
    const c = el(`<presence from="b@x/r" id="1"><show>dnd</show></presence>`);
    expect(presenceCanon(a)).toBe(presenceCanon(b));
    expect(presenceCanon(a)).not.toBe(presenceCanon(c));
    expect(presenceCanon(el(`<presence from="b@x/r" type="unavailable"/>`))).not.toBe(presenceCanon(el(`<presence from="b@x/r"/>`)));
  });
});

// ---- review fixes (M1, M7, M8, M10, I5, I6): behaviour with storage, in workerd ----------

describe("privileged message of type error (M1)", () => {
  it("is dropped without an answer; the same message not of type error is refused", async () => {
    const { env } = await import("cloudflare:test");
    const { handlePrivilegedMessage } = await import("../../src/privilege/privileged-message");
    // ro.example has no message permission: without type='error' the answer is forbidden.
    const inner = `<message xmlns="jabber:client" from="alice@a.example" to="bob@b.example" id="m"/>`;
    const wrap = (type: string) => el(`<message xmlns="jabber:client" from="ro.example" to="a.example" id="pm-e"${type}><privilege xmlns="${PRIV}"><forwarded xmlns="urn:xmpp:forward:0">${inner}</forwarded></privilege></message>`);
    const counted: string[] = [];
    const { testServices } = await import("./support/services");
    const services = testServices(config, env);
    const refused = await handlePrivilegedMessage(services, wrap(""), (k) => counted.push(k));
    expect(refused.length).toBe(1);
    expect(el(refused[0]!).attrs).toMatchObject({ type: "error", from: "a.example", to: "ro.example", id: "pm-e" });
    expect(el(refused[0]!).getChild("error")?.getChild("forbidden")).toBeDefined();
    expect(await handlePrivilegedMessage(services, wrap(` type="error"`), (k) => counted.push(k))).toEqual([]);
    expect(counted).toEqual(["message/forbidden"]);
  });
});

describe("host directory of online accounts (M7, M10)", () => {
  it("M7: is only told about accounts of hosts where some entity has presence access", async () => {
    const { privilegeAccountEvents: privilegeHooks } = await import("../../src/privilege/account-hooks");
    const calls: Array<[string, string, boolean]> = [];
    const fakePorts = { host: (h: string) => ({ setOnline: async (b: string, on: boolean) => void calls.push([h, b, on]) }) };
    const accountAt = (host: string) => ({ services: { ports: fakePorts, config }, config, bare: `u@${host}`, host: config.hosts[host]! }) as unknown as import("../../src/im/account").Account;
    await privilegeHooks.online(accountAt("b.example"), true); // b.example: roster only, no presence
    await privilegeHooks.online(accountAt("b.example"), false);
    expect(calls).toEqual([]);
    await privilegeHooks.online(accountAt("a.example"), true);
    await privilegeHooks.online(accountAt("a.example"), false);
    expect(calls).toEqual([["a.example", "u@a.example", true], ["a.example", "u@a.example", false]]);
  });

  it("M10: a deleted account leaves the directory", async () => {
    const { env } = await import("cloudflare:test");
    const { deriveCredentials } = await import("../../src/sasl");
    const bare = `del-${Date.now().toString(36)}@localhost`;
    await env.ACCOUNT.getByName(bare).setCredentials(await deriveCredentials("pw"), true);
    await env.HOST.getByName("localhost").setOnline(bare, true);
    expect(await env.HOST.getByName("localhost").onlineAccounts()).toContain(bare);
    expect(await env.ACCOUNT.getByName(bare).deleteAccount("gone")).toBe(true);
    expect(await env.HOST.getByName("localhost").onlineAccounts()).not.toContain(bare);
  });
});

describe("privileged IQ timeout (M8)", () => {
  it("outlasts the XEP-0355 delegation timeout by 5 s, never below 15 s", async () => {
    const { privilegedIqTimeoutMs } = await import("../../src/privilege/privileged-iq");
    expect(config.delegationTimeoutMs).toBe(30_000); // the default
    expect(privilegedIqTimeoutMs(config)).toBe(35_000);
    expect(privilegedIqTimeoutMs({ ...config, delegationTimeoutMs: 1_000 })).toBe(15_000);
    expect(privilegedIqTimeoutMs({ ...config, delegationTimeoutMs: 120_000 })).toBe(125_000);
  });
});

describe("component presence de-duplication (I6)", () => {
  it("only applies to copies addressed to the component's domain; an unavailable removes the row", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const { deliverPresenceToComponent } = await import("../../src/privilege/presence");
    await runInDurableObject(env.COMPONENT.getByName(`dedup-${Date.now().toString(36)}`), async (_obj, state) => {
      const sql = state.storage.sql;
      const router = { config, jid: "pep.example", store: { sql } } as unknown as import("../../src/component/mailbox").ComponentMailbox;
      const p = (to: string, extra = "") => el(`<presence xmlns="jabber:client" from="alice@a.example/r" to="${to}"${extra}><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
      // The same directed presence to two rooms (a MUC join each): both delivered.
      expect(deliverPresenceToComponent(router, p("room1@pep.example/nick"))).toBe(true);
      expect(deliverPresenceToComponent(router, p("room2@pep.example/nick"))).toBe(true);
      expect(deliverPresenceToComponent(router, p("room2@pep.example/nick"))).toBe(true);
      // Privileged copies (to the domain): an identical repeat is dropped.
      expect(deliverPresenceToComponent(router, p("pep.example"))).toBe(true);
      expect(deliverPresenceToComponent(router, p("pep.example"))).toBe(false);
      const rows = () => sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM priv_last_presence").one().n;
      expect(rows()).toBe(1);
      // Unavailable: delivered once, and the row is gone; a second one is a repeat.
      expect(deliverPresenceToComponent(router, p("pep.example", ` type="unavailable"`))).toBe(true);
      expect(rows()).toBe(0);
      expect(deliverPresenceToComponent(router, p("pep.example", ` type="unavailable"`))).toBe(false);
      expect(deliverPresenceToComponent(router, p("pep.example"))).toBe(true);
    });
  });
});

describe("component presence memory, bounded (issue 14 item 12)", () => {
  it("past MAX_COMPONENT_PRESENCES a new JID is delivered, not remembered; unavailable presences still reach the component", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const store = await import("../../src/privilege/store");
    await runInDurableObject(env.COMPONENT.getByName(`cap-${Date.now().toString(36)}`), async (_obj, state) => {
      const sql = state.storage.sql;
      const fresh = (jid: string, available = true) => store.freshPresence(sql, jid, "c", `<presence from="${jid}"/>`, available);
      // Before any overflow, an unavailable from an unknown JID is a repeat: dropped.
      expect(fresh("nobody@x/r", false)).toBe(false);
      for (let i = 0; i < store.MAX_COMPONENT_PRESENCES; i++) expect(fresh(`u${i}@x/r`)).toBe(true);
      expect(fresh("u0@x/r")).toBe(false);
      expect(fresh("over@x/r")).toBe(true);
      expect(fresh("over@x/r")).toBe(true); // not remembered, so not de-duplicated
      expect(store.lastAvailablePresences(sql).length).toBe(store.MAX_COMPONENT_PRESENCES);
      expect(fresh("over@x/r", false)).toBe(true); // its unavailable is delivered
      // A place freed is taken by the next new JID.
      expect(fresh("u0@x/r", false)).toBe(true);
      expect(fresh("next@x/r")).toBe(true);
      expect(fresh("next@x/r")).toBe(false);
      // The component connects: the table is rebuilt, the mark cleared.
      store.forgetSentPresences(sql);
      expect(store.lastAvailablePresences(sql)).toEqual([]);
      expect(fresh("nobody@x/r", false)).toBe(false);
    });
  });
});

describe("contacts' presences kept for `presence: roster` (I5)", () => {
  it("keeps and forwards only presences of contacts the user is subscribed to, within limits", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const { Account } = await import("../../src/im/account");
    const { privilegeAccountEvents: privilegeHooks, presencesForEntity } = await import("../../src/privilege/account-hooks");
    const { gatewayFor } = await import("../../src/features");
    const { testServices } = await import("./support/services");
    const store = await import("../../src/privilege/store");
    const { NO_CONTACT } = await import("../../src/im/subscription");
    await runInDurableObject(env.ACCOUNT.getByName(`i5-${Date.now().toString(36)}@a.example`), async (_obj, state) => {
      const sql = state.storage.sql;
      const account = new Account(testServices(config, env), gatewayFor(config).accountEvents, "alice@a.example", sql);
      const contact = (jid: string, subscription: "to" | "from" | "both") =>
        account.roster.put({ jid, name: null, groups: [], pendingStanza: null, state: { ...NO_CONTACT, subscription, inRoster: true } });
      contact("carl@b.example", "to");
      contact("dora@b.example", "from");
      const pres = (from: string, extra = "") => el(`<presence xmlns="jabber:client" from="${from}" to="alice@a.example"${extra}><show>away</show></presence>`);
      const kept = () => store.contactPresences(sql).map((r) => r.jid);
      await privilegeHooks.contactPresence(account, pres("carl@b.example/desk"));
      await privilegeHooks.contactPresence(account, pres("dora@b.example/desk")); // 'from' only: not her presence to see
      await privilegeHooks.contactPresence(account, pres("stranger@b.example/x")); // directed presence, not a contact
      expect(kept()).toEqual(["carl@b.example/desk"]);
      // A former contact's kept presence is not replayed (and forgotten); its unavailable still clears it.
      store.rememberContactPresence(sql, "ex@b.example/r", `<presence xmlns="jabber:client" from="ex@b.example/r"/>`);
      expect(presencesForEntity(account, true)).toEqual([`<presence xmlns="jabber:client" from="carl@b.example/desk"><show>away</show></presence>`]);
      expect(kept()).toEqual(["carl@b.example/desk"]);
      await privilegeHooks.contactPresence(account, pres("carl@b.example/desk", ` type="unavailable"`));
      expect(kept()).toEqual([]);
      // Limits: a presence over MAX_STORED_PRESENCE is not kept, nor a new JID beyond MAX_CONTACT_PRESENCES.
      expect(store.rememberContactPresence(sql, "big@b.example/r", `<presence>${"x".repeat(store.MAX_STORED_PRESENCE)}</presence>`)).toBe(false);
      for (let i = 0; i < store.MAX_CONTACT_PRESENCES; i++) expect(store.rememberContactPresence(sql, `c${i}@b.example/r`, "<presence/>")).toBe(true);
      expect(store.rememberContactPresence(sql, "one-more@b.example/r", "<presence/>")).toBe(false);
      expect(store.rememberContactPresence(sql, "c0@b.example/r", "<presence><show>xa</show></presence>")).toBe(true); // updates still fit
      expect(kept().length).toBe(store.MAX_CONTACT_PRESENCES);
    });
  });
});
