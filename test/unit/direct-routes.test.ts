// The shortcuts past an object that would only pass a stanza on (src/routing/direct.ts):
// a stanza to a component goes straight to the connection its mailbox named, and a
// connection that no longer holds the component sends it back the ordinary way.
import { beforeEach, describe, expect, it } from "vitest";
import { parse } from "ltx";
import type { Ports } from "../../src/ports/ports";
import type { StanzaHead } from "../../src/component/requests-in-flight";
import { headOf } from "../../src/component/requests-in-flight";
import { deliverDirect, deliverToComponentDirect, forgetRoutes, learnComponentRoute, learnRoute } from "../../src/routing/direct";
import type { DirectMessage, DirectOutcome } from "../../src/ports/ports";
import { serialiseIn } from "../../src/xml/stanza";

const COMP = "comp.localhost";

/** Connections that each hold one component JID (or none), and a mailbox naming one of them. */
function fakePorts(holders: Map<string, string | null>, current: { session: string | null }) {
  const calls: Array<{ session: string; jid: string; stanza: string; head: StanzaHead }> = [];
  const ports = {
    connection: (session: string) => ({
      deliverToComponent: async (jid: string, stanza: string, head: StanzaHead) => {
        calls.push({ session, jid, stanza, head });
        return holders.get(session) === jid;
      },
    }),
    component: (_jid: string) => ({ currentConnection: async () => current.session }),
  } as unknown as Ports;
  return { ports, calls };
}

describe("direct route to a component's connection", () => {
  beforeEach(() => forgetRoutes());

  it("takes no shortcut before the mailbox named a connection, then goes straight there", async () => {
    const holders = new Map<string, string | null>([["conn-1", COMP]]);
    const { ports, calls } = fakePorts(holders, { session: "conn-1" });
    const iq = parse(`<iq xmlns='jabber:client' type='get' id='q1' from='alice@localhost/r' to='${COMP}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect(await deliverToComponentDirect(ports, COMP, serialiseIn(iq, "jabber:component:accept"), headOf(iq))).toBe(false);
    expect(calls).toEqual([]);
    await learnComponentRoute(ports, COMP);
    expect(await deliverToComponentDirect(ports, COMP, serialiseIn(iq, "jabber:component:accept"), headOf(iq))).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ session: "conn-1", jid: COMP, head: { name: "iq", attrs: { type: "get", id: "q1", from: "alice@localhost/r", to: COMP } } });
    // On the component's socket the stanza is in the component namespace; the element itself is left as it was.
    expect(calls[0]!.stanza).toBe(`<iq xmlns="jabber:component:accept" type="get" id="q1" from="alice@localhost/r" to="${COMP}"><ping xmlns="urn:xmpp:ping"/></iq>`);
    expect(iq.attrs.xmlns).toBe("jabber:client");
  });

  it("forgets a connection that no longer holds the component (it reconnected elsewhere), and learns the new one", async () => {
    const holders = new Map<string, string | null>([["conn-1", COMP]]);
    const current = { session: "conn-1" as string | null };
    const { ports, calls } = fakePorts(holders, current);
    const msg = parse(`<message xmlns='jabber:client' id='m1' from='alice@localhost/r' to='bot@${COMP}'><body>hi</body></message>`);
    const send = () => deliverToComponentDirect(ports, COMP, serialiseIn(msg, "jabber:component:accept"), headOf(msg));
    await learnComponentRoute(ports, COMP);
    expect(await send()).toBe(true);
    holders.set("conn-1", null); // conflict: the old connection closed
    holders.set("conn-2", COMP);
    current.session = "conn-2";
    expect(await send()).toBe(false); // the caller then takes the mailbox's way
    expect(await send()).toBe(false); // the stale route is gone: not even asked
    expect(calls.map((c) => c.session)).toEqual(["conn-1", "conn-1"]);
    await learnComponentRoute(ports, COMP);
    expect(await send()).toBe(true);
    expect(calls.map((c) => c.session)).toEqual(["conn-1", "conn-1", "conn-2"]);
  });
});

describe("direct route for a user's message to a full JID", () => {
  beforeEach(() => forgetRoutes());
  const FULL = "bob@localhost/b";
  const chatState: DirectMessage = { kind: "message", from: "alice@localhost/a", carbonEligible: true };

  function recipient(answer: () => DirectOutcome) {
    const asked: Array<DirectMessage | undefined> = [];
    const ports = {
      account: () => ({ sessionOf: async () => "conn-b" }),
      connection: () => ({ deliverTo: async (_full: string, _s: string, m?: DirectMessage) => (asked.push(m), answer()) }),
    } as unknown as Ports;
    return { ports, asked };
  }

  it("a connection that declines (its account must see the message) keeps the route, and is not asked again for a while", async () => {
    let outcome: DirectOutcome = "account";
    const { ports, asked } = recipient(() => outcome);
    await learnRoute(ports, "bob@localhost", "b");
    expect(await deliverDirect(ports, FULL, "<message/>", chatState)).toBe(false);
    expect(await deliverDirect(ports, FULL, "<message/>", chatState)).toBe(false); // declined lately: the account's way at once
    expect(asked).toEqual([chatState]);
    // Other stanzas (an IQ response from a component) still take the route: it was not stale.
    outcome = true;
    expect(await deliverDirect(ports, FULL, "<iq/>")).toBe(true);
    expect(asked).toEqual([chatState, undefined]);
  });

  it("a connection no longer bound to the JID loses the route", async () => {
    const { ports, asked } = recipient(() => false);
    await learnRoute(ports, "bob@localhost", "b");
    expect(await deliverDirect(ports, FULL, "<message/>", chatState)).toBe(false);
    expect(await deliverDirect(ports, FULL, "<message/>", chatState)).toBe(false);
    expect(asked).toHaveLength(1);
  });
});

describe("serialiseIn", () => {
  it("writes the stanza in another namespace and leaves the element as it was, with or without an xmlns", () => {
    const withNs = parse("<message xmlns='jabber:client' to='a@b'><body>x</body></message>");
    expect(serialiseIn(withNs, "jabber:component:accept")).toBe(`<message xmlns="jabber:component:accept" to="a@b"><body>x</body></message>`);
    expect(withNs.toString()).toBe(`<message xmlns="jabber:client" to="a@b"><body>x</body></message>`);
    const without = parse("<message to='a@b'/>");
    expect(serialiseIn(without, "jabber:component:accept")).toBe(`<message to="a@b" xmlns="jabber:component:accept"/>`);
    expect(without.toString()).toBe(`<message to="a@b"/>`);
  });
});
