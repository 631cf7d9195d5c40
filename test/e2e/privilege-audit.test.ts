// The XEP-0356 audit trail: GET /admin/privileges serves the grants in effect and a counter
// per entity of every privileged action ("access/outcome"), for components and accounts.
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "./support/config";
import { gatewayUrl } from "./support/gateway";
import { NS_ROSTER } from "./support/im";
import { COMP, FORWARD, HOST, NONE, PRIV, closeAfterEach, component, entityUser, newUser, onlineUser } from "./privilege-support";

closeAfterEach();

type Entry = { at: string; access: string; action: string; outcome: string; user?: string; detail?: string };
type Report = { hosts: Record<string, Record<string, unknown>>; counts: Record<string, Record<string, number>>; last: Record<string, Entry[]> };

async function report(): Promise<Report> {
  const res = await fetch(`${gatewayUrl()}/admin/privileges`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  for (const secret of ["priv-secret", "privnone-secret", "pubsub-secret", ADMIN_TOKEN]) expect(text).not.toContain(secret);
  return JSON.parse(text) as Report;
}
const count = (r: Report, entity: string, key: string) => r.counts[entity]?.[key] ?? 0;

describe("GET /admin/privileges", () => {
  it("needs the bearer token", async () => {
    const res = await fetch(`${gatewayUrl()}/admin/privileges`);
    expect(res.status).toBe(401);
  });

  it("serves the grants in effect per host, with resolved defaults", async () => {
    const r = await report();
    expect(r.hosts[HOST]![COMP.jid]).toEqual({
      roster: "both", push: true, message: "outgoing", presence: "roster",
      iq: {
        "urn:xmpp:ping": "get", "jabber:iq:version": "get", "jabber:iq:roster": "both",
        "http://jabber.org/protocol/pubsub": "both", "http://jabber.org/protocol/pubsub#owner": "set", "urn:example:denied": "none", "urn:example:delegated": "both",
      },
    });
    expect(r.hosts[HOST]!["ent-roster@priv.localhost"]).toEqual({ roster: "both", push: true, message: "none", presence: "managed_entity", iq: {} });
    expect(r.hosts["localhost"]!["pubsub.localhost"]).toMatchObject({ roster: "both", message: "outgoing" });
    expect(r.hosts["reg.localhost"]).toEqual({});
  });

  it("counts each privileged action per entity and outcome (components and accounts)", async () => {
    const before = await report();
    const alice = await newUser("aud-alice");
    const bob = await newUser("aud-bob");
    const c = await component(COMP);
    await c.iq(`<iq type='get' id='g1' to='${alice.bare}'><query xmlns='${NS_ROSTER}'/></iq>`, "g1");
    await c.iq(`<iq type='get' id='g2' to='${alice.bare}'><query xmlns='${NS_ROSTER}'/></iq>`, "g2");
    const b = await onlineUser(bob.name);
    c.send(`<message to='${HOST}' id='am'><privilege xmlns='${PRIV}'><forwarded xmlns='${FORWARD}'><message xmlns='jabber:client' from='${alice.bare}' to='${bob.bare}'><body>x</body></message></forwarded></privilege></message>`);
    await b.next((el) => el.getName() === "message" && el.attrs.from === alice.bare);
    c.send(`<message to='${HOST}' id='am2'><privilege xmlns='${PRIV}'><forwarded xmlns='${FORWARD}'><message xmlns='jabber:client' from='${alice.bare}/r' to='${bob.bare}'/></forwarded></privilege></message>`);
    await c.next((el) => el.attrs.id === "am2");
    await c.iq(`<iq type='get' id='pi' to='${HOST}'><privileged_iq xmlns='${PRIV}'><iq xmlns='jabber:client' type='get' to='${HOST}' id='x'><ping xmlns='urn:xmpp:ping'/></iq></privileged_iq></iq>`, "pi");
    const none = await component(NONE);
    await none.iq(`<iq type='set' id='s1' to='${alice.bare}'><query xmlns='${NS_ROSTER}'><item jid='z@${HOST}'/></query></iq>`, "s1");
    await entityUser("ent-none");
    const e = await onlineUser("ent-none", "aud");
    await e.iq(`<iq type='get' id='u1' to='${alice.bare}'><query xmlns='${NS_ROSTER}'/></iq>`, "u1");

    const after = await report();
    const delta = (entity: string, key: string) => count(after, entity, key) - count(before, entity, key);
    expect(delta(COMP.jid, "roster/ok")).toBe(2);
    expect(delta(COMP.jid, "message/ok")).toBe(1);
    expect(delta(COMP.jid, "message/forbidden")).toBe(1);
    expect(delta(COMP.jid, "iq/forbidden")).toBe(1);
    expect(delta(NONE.jid, "roster/forbidden")).toBe(1);
    expect(delta("ent-none@priv.localhost", "roster/forbidden")).toBe(1);
    expect(Object.keys(after.counts)).toContain("ent-msg@priv.localhost");
    // The finer counters: reads and writes apart, IQs by namespace and type.
    expect(delta(COMP.jid, "roster get/ok")).toBe(2);
    expect(delta(COMP.jid, "message outgoing/ok")).toBe(1);
    expect(delta(NONE.jid, "roster set/forbidden")).toBe(1);
    // The last actions, newest last, with whom they were for.
    const last = after.last[COMP.jid]!;
    expect(last.length).toBeGreaterThanOrEqual(4);
    expect(last.length).toBeLessThanOrEqual(20);
    expect(last.some((x) => x.access === "roster" && x.action === "get" && x.outcome === "ok" && x.user === alice.bare)).toBe(true);
    expect(last.some((x) => x.access === "message" && x.action === "outgoing" && x.outcome === "ok" && x.user === alice.bare)).toBe(true);
    expect(Date.parse(last.at(-1)!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(after.last["ent-none@priv.localhost"]!.at(-1)).toMatchObject({ access: "roster", action: "get", outcome: "forbidden", user: alice.bare });
  });
});
