// A broadcast presence straight to a contact's connections (src/im/presence-straight.ts):
// learned routes, what a connection's answer makes of the presence, and when the contact's
// account must see it instead.
import { beforeEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { parse } from "ltx";
import { forgetAllPresenceRoutes, forgetPresenceRoutes, presenceStraight } from "../../src/im/presence-straight";
import type { RouteContext } from "../../src/pipeline/context";
import type { DirectOutcome, DirectPresence, Ports, PresenceRoute } from "../../src/ports/ports";
import { authenticate, createAccount, eventually, login, socket, unique } from "./support/socket";

const HOST = "example.org";
const BOB = `bob@${HOST}`;

/** Bob's account (its routes, and what it is handed) and his connections (their answers). */
function world(routes: PresenceRoute[], answers: Record<string, DirectOutcome>) {
  const log: string[] = [];
  const background: Promise<unknown>[] = [];
  const ports = {
    account: () => ({
      presenceRoutes: async () => (log.push("routes"), routes),
      presenceToAvailable: async (resource: string) => void log.push(`account:${resource}`),
    }),
    connection: (session: string) => ({
      deliverTo: async (full: string, _raw: string, direct: DirectPresence) => {
        log.push(`${session}:${full}:${direct.kind}:${direct.from}`);
        return answers[session] ?? false;
      },
    }),
  } as unknown as Ports;
  const presence = (attrs: Record<string, string>) => {
    const el = parse(`<presence xmlns='jabber:client' to='${BOB}' from='alice@${HOST}/a'/>`);
    Object.assign(el.attrs, attrs);
    return el;
  };
  const ctx = (attrs: Record<string, string>, privileged: Record<string, unknown> = {}): RouteContext => ({
    origin: { kind: "account", bare: `alice@${HOST}`, receive: async () => [] },
    dest: { kind: "account", host: HOST, bare: BOB, resource: "" },
    stanza: presence(attrs),
    services: { config: { hosts: { [HOST]: { privileged } } }, ports, waitUntil: (p: Promise<unknown>) => void background.push(p) },
  }) as unknown as RouteContext;
  return { log, ctx, settle: () => Promise.all(background) };
}

describe("broadcast presence past the contact's account", () => {
  beforeEach(() => forgetAllPresenceRoutes());

  it("passes the account until the routes are learned, then goes to each available resource's connection", async () => {
    const w = world([{ resource: "b1", session: "s1" }, { resource: "b2", session: "s2" }], { s1: true, s2: true });
    expect(await presenceStraight(w.ctx({}))).toBe(false); // the account's way, this time
    await w.settle();
    expect(w.log).toEqual(["routes"]);
    expect(await presenceStraight(w.ctx({ type: "unavailable" }))).toBe(true);
    expect(w.log.slice(1).sort()).toEqual([`s1:${BOB}/b1:presence:alice@${HOST}/a`, `s2:${BOB}/b2:presence:alice@${HOST}/a`]);
  });

  it("hands the account what a connection did not take, and learns the routes again after a refusal", async () => {
    const w = world([{ resource: "b1", session: "s1" }, { resource: "b2", session: "s2" }], { s1: "account", s2: false });
    await presenceStraight(w.ctx({}));
    await w.settle();
    w.log.length = 0;
    expect(await presenceStraight(w.ctx({}))).toBe(true);
    expect(w.log.filter((l) => l.startsWith("account:")).sort()).toEqual(["account:b1", "account:b2"]);
    // s2 said the resource is gone or unavailable: the routes are asked for again.
    expect(await presenceStraight(w.ctx({}))).toBe(false);
  });

  it("forgets the routes when told the contact changed (its probe or presence)", async () => {
    const w = world([{ resource: "b1", session: "s1" }], { s1: true });
    await presenceStraight(w.ctx({}));
    await w.settle();
    forgetPresenceRoutes(BOB);
    expect(await presenceStraight(w.ctx({}))).toBe(false);
  });

  it("leaves to the account: probes and subscriptions, a presence not from a resource of the sender, and a host whose entity receives the contacts' presences (XEP-0356)", async () => {
    const w = world([{ resource: "b1", session: "s1" }], { s1: true });
    await presenceStraight(w.ctx({}));
    await w.settle();
    for (const type of ["probe", "subscribe", "subscribed", "error"]) expect(await presenceStraight(w.ctx({ type }))).toBe(false);
    expect(await presenceStraight(w.ctx({ from: `alice@${HOST}` }))).toBe(false);
    expect(await presenceStraight(w.ctx({ from: `eve@${HOST}/x` }))).toBe(false);
    expect(await presenceStraight(w.ctx({}, { "pubsub.example.org": { entity: "pubsub.example.org", presence: "roster" } }))).toBe(false);
    expect(w.log.filter((l) => l.startsWith("s1:"))).toEqual([]);
  });
});

describe("the contact's connection knows whether its resource is available", () => {
  const SM = "urn:xmpp:sm:3";
  const presenceFrom = (from: string, to: string, status = "hi") => `<presence xmlns='jabber:client' from='${from}' to='${to}'><status>${status}</status></presence>`;
  const routesOf = (bare: string) => env.ACCOUNT.getByName(bare).presenceRoutes();
  const connection = (session: string) => env.SESSION.get(env.SESSION.idFromString(session));

  it("takes a contact's presence itself while its resource is available, and still after a XEP-0198 resumption", async () => {
    const user = unique("carol");
    const bare = `${user}@localhost`;
    const from = "dave@localhost/desk";
    await createAccount(bare);
    const first = await login(user, "phone");
    first.s.send(`<enable xmlns='${SM}' resume='true'/>`);
    const id = (await first.s.next((e) => e.name === "enabled")).attrs.id as string;
    first.s.send("<presence xmlns='jabber:client'/>");
    await eventually(async () => (await routesOf(bare)).length === 1);
    const firstSession = (await routesOf(bare))[0]!.session;
    expect(await connection(firstSession).deliverTo(first.full, presenceFrom(from, first.full), { kind: "presence", from })).toBe(true);
    expect((await first.s.next((e) => e.name === "presence" && e.attrs.from === from)).getChildText("status")).toBe("hi");

    // The socket is cut (no <close/>): the session waits; a new socket resumes it.
    first.s.close();
    await first.s.closed;
    const s = await socket();
    await authenticate(s, user);
    s.send(`<resume xmlns='${SM}' previd='${id}' h='0'/>`);
    expect((await s.next((e) => e.name === "resumed" || e.name === "failed")).name).toBe("resumed");
    const routes = await routesOf(bare);
    expect(routes.map((r) => r.resource)).toEqual(["phone"]);
    expect(routes[0]!.session).not.toBe(firstSession);
    // The new connection carries the account's record: it writes the presence itself
    // (before, it did not know and sent it back through the account: "account").
    expect(await connection(routes[0]!.session).deliverTo(first.full, presenceFrom(from, first.full, "again"), { kind: "presence", from })).toBe(true);
    // (The first one comes again too: h='0' acknowledged nothing.)
    await s.next((e) => e.name === "presence" && e.attrs.from === from && e.getChildText("status") === "again");
    s.close();
  });

  it("a freshly bound resource without initial presence turns a contact's presence down", async () => {
    const user = unique("erin");
    const bare = `${user}@localhost`;
    await createAccount(bare);
    const { s, full } = await login(user, "tab");
    // The account lists no available resource, so nobody learns a route; a stale one is refused.
    expect(await routesOf(bare)).toEqual([]);
    const session = (await env.ACCOUNT.getByName(bare).sessionOf("tab"))!;
    expect(await connection(session).deliverTo(full, presenceFrom("dave@localhost/desk", full), { kind: "presence", from: "dave@localhost/desk" })).toBe(false);
    expect(await s.nothing((e) => e.name === "presence", 300)).toBe(true);
    s.close();
  });
});
