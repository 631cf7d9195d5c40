// A broadcast presence straight to a contact's connections (src/im/presence-straight.ts):
// learned routes, what a connection's answer makes of the presence, and when the contact's
// account must see it instead.
import { beforeEach, describe, expect, it } from "vitest";
import { parse } from "ltx";
import { forgetAllPresenceRoutes, forgetPresenceRoutes, presenceStraight } from "../../src/im/presence-straight";
import type { RouteContext } from "../../src/pipeline/context";
import type { DirectOutcome, DirectPresence, Ports, PresenceRoute } from "../../src/ports/ports";

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
