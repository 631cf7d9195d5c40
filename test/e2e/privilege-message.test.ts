// XEP-0356 §4.3 message access over real sockets: a component (and a privileged user
// account) sends messages on behalf of a user or of the server; every refusal.
// Checklist items (shared/xep0356.md): #1, #18–#23, and "unwrapped stanzas route as usual".
import { describe, expect, it } from "vitest";
import { isMessage } from "./support/im";
import { stanzaError, type Element } from "./support/raw-client";
import { COMP, FORWARD, HOST, NONE, PRIV, RO, closeAfterEach, component, entityUser, newUser, onlineUser } from "./privilege-support";

closeAfterEach();

const wrapped = (id: string, inner: string, to = HOST) =>
  `<message to='${to}' id='${id}'><privilege xmlns='${PRIV}'><forwarded xmlns='${FORWARD}'>${inner}</forwarded></privilege></message>`;
const isError = (id: string) => (el: Element) => el.getName() === "message" && el.attrs.id === id && el.attrs.type === "error";

describe("a privileged message of type error (M1)", () => {
  it("is never answered (RFC 6120 §8.3.1), nor routed: a bounced advertisement does not loop", async () => {
    const bob = await newUser("msg-bob");
    const b = await onlineUser(bob.name);
    const c = await component(COMP);
    // The component bounces the advertisement it got, original payload included.
    const adv = c.adv!;
    c.send(`<message type='error' to='${HOST}' id='${adv.attrs.id}'>${adv.getChild("privilege", PRIV)!.toString()}<error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`);
    // And an error-typed wrapper that would otherwise be routed (or refused): neither happens.
    c.send(`<message type='error' to='${HOST}' id='pm-err'><privilege xmlns='${PRIV}'><forwarded xmlns='${FORWARD}'><message xmlns='jabber:client' from='${bob.bare}' to='${bob.bare}' type='chat' id='e1'><body>x</body></message></forwarded></privilege></message>`);
    await c.nothing((el) => el.getName() === "message", 800);
    await b.nothing(isMessage(), 300);
  });
});

describe("sending on behalf of a user (#18–#23)", () => {
  it("#19 #20 #23: the inner message is routed from the user's bare JID, id and payload kept; #1 the user sees nothing", async () => {
    const alice = await newUser("msg-alice");
    const bob = await newUser("msg-bob");
    const a = await onlineUser(alice.name);
    const b = await onlineUser(bob.name, "phone");
    const c = await component(COMP);
    c.send(wrapped("pm1", `<message xmlns='jabber:client' from='${alice.bare}' to='${bob.bare}/phone' type='headline' id='ev-5'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='n'><item id='abc'/></items></event></message>`));
    const got = await b.next(isMessage(alice.bare));
    expect(got.attrs).toMatchObject({ from: alice.bare, to: `${bob.bare}/phone`, type: "headline", id: "ev-5" });
    expect(got.getChild("event", "http://jabber.org/protocol/pubsub#event")?.getChild("items")?.attrs.node).toBe("n");
    // No wrapper, nothing about privileges reaches the recipient; no error to the component; alice is not told.
    expect(got.getChild("privilege")).toBeUndefined();
    await c.nothing(isError("pm1"), 400);
    await a.nothing(isMessage(), 300);
  });

  it("#19: on behalf of the server itself (from = the host)", async () => {
    const bob = await newUser("msg-bob");
    const b = await onlineUser(bob.name);
    const c = await component(COMP);
    c.send(wrapped("pm2", `<message xmlns='jabber:client' from='${HOST}' to='${bob.bare}' type='chat' id='srv-1'><body>maintenance</body></message>`));
    const got = await b.next(isMessage(HOST));
    expect(got.attrs).toMatchObject({ from: HOST, id: "srv-1" });
    expect(got.getChildText("body")).toBe("maintenance");
  });

  it("#21 #22: a full JID, another virtual host, a remote JID, a missing from or an unknown account → forbidden from the host", async () => {
    const alice = await newUser("msg-alice");
    const bob = await newUser("msg-bob");
    const other = await newUser("msg-other", "localhost");
    const b = await onlineUser(bob.name);
    const c = await component(COMP);
    const froms = [`from='${alice.bare}/res'`, `from='${other.bare}'`, `from='x@remote.example'`, ``, `from='nobody-${Date.now()}@${HOST}'`];
    for (const [i, from] of froms.entries()) {
      const id = `bad-${i}`;
      c.send(wrapped(id, `<message xmlns='jabber:client' ${from} to='${bob.bare}' id='in-${i}'><body>x</body></message>`));
      const err = await c.next(isError(id));
      expect(err.attrs, from).toMatchObject({ from: HOST, to: COMP.jid });
      expect(stanzaError(err), from).toEqual({ type: "auth", condition: "forbidden" });
    }
    await b.nothing(isMessage(), 400);
  });

  it("#22: without the message permission → forbidden; #20 a malformed wrapper → bad-request", async () => {
    const alice = await newUser("msg-alice");
    const inner = `<message xmlns='jabber:client' from='${alice.bare}' to='${alice.bare}'><body>x</body></message>`;
    for (const who of [NONE, RO]) {
      const c = await component(who);
      c.send(wrapped("np", inner));
      expect(stanzaError(await c.next(isError("np")))).toEqual({ type: "auth", condition: "forbidden" });
      c.close();
    }
    const c = await component(COMP);
    // <forwarded/> outside <privilege/>'s namespace, no <forwarded/>, two messages.
    c.send(`<message to='${HOST}' id='m1'><privilege xmlns='${PRIV}'>${inner}</privilege></message>`);
    c.send(`<message to='${HOST}' id='m2'><privilege xmlns='${PRIV}'><forwarded xmlns='urn:example'>${inner}</forwarded></privilege></message>`);
    c.send(wrapped("m3", inner + inner));
    for (const id of ["m1", "m2", "m3"]) {
      expect(stanzaError(await c.next(isError(id))), id).toEqual({ type: "modify", condition: "bad-request" });
    }
  });

  it("unwrapped messages and presences from the privileged component are routed as usual", async () => {
    const bob = await newUser("msg-bob");
    const b = await onlineUser(bob.name);
    const c = await component(COMP);
    c.send(`<message from='${COMP.jid}' to='${bob.bare}' id='plain-1'><body>hi</body></message>`);
    const got = await b.next(isMessage(COMP.jid));
    expect(got.getChildText("body")).toBe("hi");
    // Presence too (directed presence from the component).
    c.send(`<presence from='${COMP.jid}' to='${bob.bare}'><status>up</status></presence>`);
    const pres = await b.next((el) => el.getName() === "presence" && el.attrs.from === COMP.jid);
    expect(pres.getChildText("status")).toBe("up");
  });
});

describe("a privileged user account (#18–#23)", () => {
  it("sends through its host on behalf of a user; refused for another host", async () => {
    await entityUser("ent-msg");
    const e = await onlineUser("ent-msg", "m");
    const alice = await newUser("msg-alice");
    const bob = await newUser("msg-bob");
    const b = await onlineUser(bob.name);
    e.send(wrapped("u1", `<message xmlns='jabber:client' from='${alice.bare}' to='${bob.bare}' type='chat' id='uin-1'><body>from the entity</body></message>`));
    const got = await b.next(isMessage(alice.bare));
    expect(got.attrs.id).toBe("uin-1");
    expect(got.getChildText("body")).toBe("from the entity");
    e.send(wrapped("u2", `<message xmlns='jabber:client' from='${alice.bare}' to='${bob.bare}'/>`, "localhost"));
    expect(stanzaError(await e.next(isError("u2")))).toEqual({ type: "auth", condition: "forbidden" });
    // An account without the message permission.
    await entityUser("ent-none");
    const n = await onlineUser("ent-none", "m");
    n.send(wrapped("u3", `<message xmlns='jabber:client' from='${alice.bare}' to='${bob.bare}'/>`));
    expect(stanzaError(await n.next(isError("u3")))).toEqual({ type: "auth", condition: "forbidden" });
  });
});
