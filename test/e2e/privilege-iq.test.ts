// XEP-0356 §4.4 IQ access over real sockets: the encapsulated IQ leaves as the user's bare
// JID, its answer comes back wrapped with the outer id; each of the six refusal conditions.
// Checklist items (shared/xep0356.md): #24–#31, plus the "decisions the text leaves to us"
// (exactly one payload, inner id required, self-addressed IQs, timeout, unwrapped IQs).
import { describe, expect, it } from "vitest";
import { NS_ROSTER, rosterItems, rosterSet } from "./support/im";
import { stanzaError, type Element } from "./support/raw-client";
import { COMP, ECHO, HOST, NONE, PRIV, RO, closeAfterEach, component, entityUser, forwardedOf, loginUser, newUser, onlineUser } from "./privilege-support";

closeAfterEach();

const PUBSUB = "http://jabber.org/protocol/pubsub";
const priv = (to: string, type: string, id: string, inner: string) =>
  `<iq to='${to}' type='${type}' id='${id}'><privileged_iq xmlns='${PRIV}'>${inner}</privileged_iq></iq>`;
const sub = (user: string) => `<pubsub xmlns='${PUBSUB}'><subscribe node='urn:xmpp:microblog:0' jid='${user}'/></pubsub>`;

describe("executed as the user, answer wrapped (#25–#31)", () => {
  it("#28 #30 #31: the inner IQ reaches its target from the user's bare JID; the result returns wrapped with the outer id", async () => {
    const alice = await newUser("iq-alice");
    const echo = await component(ECHO, false);
    const c = await component(COMP);
    c.send(priv(alice.bare, "set", "piq-1", `<iq xmlns='jabber:client' type='set' to='${ECHO.jid}' id='sub-1'>${sub(alice.bare)}</iq>`));
    const got = await echo.next((el) => el.getName() === "iq" && el.getChild("pubsub", PUBSUB) !== undefined);
    expect(got.attrs).toMatchObject({ type: "set", from: alice.bare, to: ECHO.jid });
    // I7: the IQ leaves with an id of the server's, never the entity's.
    expect(got.attrs.id).toMatch(/^priv-[0-9a-f-]{36}$/);
    expect(got.getChild("pubsub", PUBSUB)?.getChild("subscribe")?.attrs.node).toBe("urn:xmpp:microblog:0");
    expect(got.getChild("privileged_iq")).toBeUndefined();
    echo.send(`<iq type='result' from='${ECHO.jid}' to='${alice.bare}' id='${got.attrs.id}'><pubsub xmlns='${PUBSUB}'><subscription node='urn:xmpp:microblog:0' jid='${alice.bare}' subscription='subscribed'/></pubsub></iq>`);
    const answer = await c.next((el) => el.getName() === "iq" && el.attrs.id === "piq-1");
    expect(answer.attrs).toMatchObject({ type: "result", from: alice.bare, to: COMP.jid, id: "piq-1" });
    const inner = forwardedOf(answer)!;
    expect(inner.getName()).toBe("iq");
    expect(inner.attrs).toMatchObject({ xmlns: "jabber:client", type: "result", from: ECHO.jid, to: alice.bare, id: "sub-1" });
    expect(inner.getChild("pubsub", PUBSUB)?.getChild("subscription")?.attrs.subscription).toBe("subscribed");
  });

  it("#31: an error answer comes back wrapped in an outer type='error'", async () => {
    const alice = await newUser("iq-alice");
    const echo = await component(ECHO, false);
    const c = await component(COMP);
    c.send(priv(alice.bare, "get", "piq-2", `<iq xmlns='jabber:client' type='get' to='${ECHO.jid}' id='items-1'><pubsub xmlns='${PUBSUB}'><items node='n'/></pubsub></iq>`));
    const got = await echo.next((el) => el.getName() === "iq" && el.getChild("pubsub", PUBSUB) !== undefined);
    echo.send(`<iq type='error' from='${ECHO.jid}' to='${alice.bare}' id='${got.attrs.id}'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
    const answer = await c.next((el) => el.attrs.id === "piq-2");
    expect(answer.attrs).toMatchObject({ type: "error", from: alice.bare, to: COMP.jid });
    expect(stanzaError(forwardedOf(answer)!)).toEqual({ type: "cancel", condition: "item-not-found" });
    expect(forwardedOf(answer)!.attrs.id).toBe("items-1");
  });

  it("#30: an IQ to the host is answered by the host, to the user's bare JID, wrapped; #27 inner from = the user is accepted", async () => {
    const alice = await newUser("iq-alice");
    const c = await component(COMP);
    const answer = await c.iq(priv(alice.bare, "get", "piq-3", `<iq xmlns='jabber:client' type='get' from='${alice.bare}' to='${HOST}' id='ping-1'><ping xmlns='urn:xmpp:ping'/></iq>`), "piq-3");
    expect(answer.attrs).toMatchObject({ type: "result", from: alice.bare, to: COMP.jid });
    expect(forwardedOf(answer)!.attrs).toMatchObject({ type: "result", from: HOST, to: alice.bare, id: "ping-1" });
  });

  it("a privileged IQ to the user's own bare JID (or without inner 'to') is the user's own request: their roster", async () => {
    const alice = await newUser("iq-alice");
    const client = await onlineUser(alice.name);
    await rosterSet(client, `ivy@${HOST}`);
    const c = await component(COMP);
    for (const [id, to] of [["self-1", ` to='${alice.bare}'`], ["self-2", ""]]) {
      const answer = await c.iq(priv(alice.bare, "get", id, `<iq xmlns='jabber:client' type='get'${to} id='r-${id}'><query xmlns='${NS_ROSTER}'/></iq>`), id);
      expect(answer.attrs, id).toMatchObject({ type: "result", from: alice.bare, to: COMP.jid });
      const inner = forwardedOf(answer)!;
      expect(inner.attrs).toMatchObject({ type: "result", from: alice.bare, id: `r-${id}` });
      expect(rosterItems(inner)).toEqual([{ jid: `ivy@${HOST}`, subscription: "none" }]);
    }
  });

  it("M8 timeout: it outlasts XEP-0355's (30 s + 5 s by default): a delegated inner IQ answered after 16 s comes back wrapped; no answer → unwrapped remote-server-timeout", { timeout: 60_000 }, async () => {
    const alice = await newUser("iq-alice");
    const echo = await component(ECHO, false);
    const c = await component(COMP);
    const sent = Date.now();
    c.send(priv(alice.bare, "get", "piq-late", `<iq xmlns='jabber:client' type='get' to='${ECHO.jid}' id='never'><pubsub xmlns='${PUBSUB}'/></iq>`));
    c.send(priv(alice.bare, "get", "piq-dlg", `<iq xmlns='jabber:client' type='get' to='${HOST}' id='slow'><query xmlns='urn:example:delegated'/></iq>`));
    const never = await echo.next((el) => el.getName() === "iq" && el.getChild("pubsub", PUBSUB) !== undefined);
    const wrapper = await echo.next((el) => el.getName() === "iq" && el.getChild("delegation", "urn:xmpp:delegation:2") !== undefined);
    const forwarded = wrapper.getChild("delegation")!.getChild("forwarded")!.getChild("iq")!;
    // Past the old fixed 15 s, within the delegation's 30 s.
    await c.nothing((el) => el.attrs.id === "piq-late" || el.attrs.id === "piq-dlg", 16_000);
    echo.send(`<iq type='result' to='${HOST}' id='${wrapper.attrs.id}'><delegation xmlns='urn:xmpp:delegation:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
      `<iq xmlns='jabber:client' type='result' from='${HOST}' to='${alice.bare}' id='${forwarded.attrs.id}'><query xmlns='urn:example:delegated'/></iq></forwarded></delegation></iq>`);
    const late = await c.next((el) => el.attrs.id === "piq-dlg", 3000);
    expect(late.attrs).toMatchObject({ type: "result", from: alice.bare, to: COMP.jid });
    expect(forwardedOf(late)!.attrs).toMatchObject({ type: "result", from: HOST, id: "slow" });
    const answer = await c.next((el) => el.attrs.id === "piq-late", 25_000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(34_000);
    expect(answer.attrs).toMatchObject({ type: "error", from: alice.bare, to: COMP.jid });
    expect(stanzaError(answer)).toEqual({ type: "wait", condition: "remote-server-timeout" });
    expect(forwardedOf(answer)).toBeUndefined();
    // A late answer is dropped.
    echo.send(`<iq type='result' from='${ECHO.jid}' to='${alice.bare}' id='${never.attrs.id}'/>`);
    await c.nothing((el) => el.attrs.id === "piq-late", 500);
  });

  it("I7: two entities using the same inner id for the same user each get their own answer", async () => {
    const alice = await newUser("iq-alice");
    const echo = await component(ECHO, false);
    const c = await component(COMP);
    const ro = await component(RO);
    const ping = `<iq xmlns='jabber:client' type='get' to='${ECHO.jid}' id='same'><ping xmlns='urn:xmpp:ping'/></iq>`;
    c.send(priv(alice.bare, "get", "from-comp", ping));
    const first = await echo.next((el) => el.getName() === "iq" && el.getChild("ping", "urn:xmpp:ping") !== undefined);
    ro.send(priv(alice.bare, "get", "from-ro", ping));
    const second = await echo.next((el) => el.getName() === "iq" && el.getChild("ping", "urn:xmpp:ping") !== undefined);
    expect(first.attrs.id).not.toBe("same");
    expect(second.attrs.id).not.toBe(first.attrs.id);
    // Answered in reverse order, each with a marker of which request it answers.
    echo.send(`<iq type='result' from='${ECHO.jid}' to='${alice.bare}' id='${second.attrs.id}'><ping xmlns='urn:xmpp:ping'><n>second</n></ping></iq>`);
    echo.send(`<iq type='result' from='${ECHO.jid}' to='${alice.bare}' id='${first.attrs.id}'><ping xmlns='urn:xmpp:ping'><n>first</n></ping></iq>`);
    const toRo = await ro.next((el) => el.attrs.id === "from-ro");
    const toComp = await c.next((el) => el.attrs.id === "from-comp");
    expect(forwardedOf(toRo)!.attrs.id).toBe("same");
    expect(forwardedOf(toRo)!.getChild("ping")!.getChildText("n")).toBe("second");
    expect(forwardedOf(toComp)!.attrs.id).toBe("same");
    expect(forwardedOf(toComp)!.getChild("ping")!.getChildText("n")).toBe("first");
  });

  it("I7: only an answer from the exact JID the inner IQ went to counts (not another resource of it)", async () => {
    const alice = await newUser("iq-alice");
    const bob = await newUser("iq-bob");
    const one = await loginUser(bob.name, "one");
    const two = await loginUser(bob.name, "two");
    const c = await component(COMP);
    c.send(priv(alice.bare, "get", "to-full", `<iq xmlns='jabber:client' type='get' to='${bob.bare}/one' id='pf'><ping xmlns='urn:xmpp:ping'/></iq>`));
    const got = await one.next((el) => el.getName() === "iq" && el.getChild("ping", "urn:xmpp:ping") !== undefined);
    expect(got.attrs).toMatchObject({ type: "get", from: alice.bare, to: `${bob.bare}/one` });
    two.send(`<iq type='result' to='${alice.bare}' id='${got.attrs.id}'><forged xmlns='urn:example:x'/></iq>`);
    await c.nothing((el) => el.attrs.id === "to-full", 800);
    one.send(`<iq type='result' to='${alice.bare}' id='${got.attrs.id}'/>`);
    const answer = await c.next((el) => el.attrs.id === "to-full");
    expect(forwardedOf(answer)!.attrs).toMatchObject({ type: "result", from: `${bob.bare}/one`, id: "pf" });
    expect(forwardedOf(answer)!.getChild("forged")).toBeUndefined();
  });

  it("an inner IQ in a XEP-0355-delegated namespace goes to the managing component as the user's would (to the host and to the user's bare JID)", async () => {
    const alice = await newUser("iq-alice");
    const echo = await component(ECHO, false);
    const c = await component(COMP);
    for (const [id, to] of [["dl-1", HOST], ["dl-2", alice.bare]]) {
      c.send(priv(alice.bare, "get", `p-${id}`, `<iq xmlns='jabber:client' type='get' to='${to}' id='${id}'><query xmlns='urn:example:delegated'/></iq>`));
      const wrapper = await echo.next((el) => el.getName() === "iq" && el.getChild("delegation", "urn:xmpp:delegation:2") !== undefined);
      const forwarded = wrapper.getChild("delegation")!.getChild("forwarded")!.getChild("iq")!;
      expect(forwarded.attrs, to).toMatchObject({ type: "get", from: alice.bare, to });
      expect(forwarded.attrs.id, to).toMatch(/^priv-/);
      echo.send(`<iq type='result' to='${HOST}' id='${wrapper.attrs.id}'><delegation xmlns='urn:xmpp:delegation:2'><forwarded xmlns='urn:xmpp:forward:0'>` +
        `<iq xmlns='jabber:client' type='result' from='${to}' to='${alice.bare}' id='${forwarded.attrs.id}'><query xmlns='urn:example:delegated'><answer/></query></iq></forwarded></delegation></iq>`);
      const answer = await c.next((el) => el.attrs.id === `p-${id}`);
      expect(answer.attrs, to).toMatchObject({ type: "result", from: alice.bare, to: COMP.jid });
      const inner = forwardedOf(answer)!;
      expect(inner.attrs, to).toMatchObject({ type: "result", from: to, to: alice.bare, id });
      expect(inner.getChild("query", "urn:example:delegated")?.getChild("answer")).toBeDefined();
    }
  });

  it("unwrapped IQs from the privileged component are routed as usual", async () => {
    const c = await component(COMP);
    const r = await c.iq(`<iq type='get' to='${HOST}' id='plain-ping'><ping xmlns='urn:xmpp:ping'/></iq>`, "plain-ping");
    expect(r.attrs).toMatchObject({ type: "result", from: HOST });
  });
});

describe("the six refusal conditions, each forbidden (#29)", () => {
  const forbidden = (el: Element) => expect(stanzaError(el)).toEqual({ type: "auth", condition: "forbidden" });
  const ping = (extra = "", type = "get", ns = "xmlns='jabber:client'") => `<iq ${ns} type='${type}' to='${HOST}' id='i'${extra}><ping xmlns='urn:xmpp:ping'/></iq>`;

  it("(a) the top-level 'to' is not a managed bare JID: full JID, host, unknown account, other host, no grant", async () => {
    const alice = await newUser("iq-alice");
    const other = await newUser("iq-other", "localhost");
    const c = await component(COMP);
    const tos = [`${alice.bare}/res`, HOST, `nobody-${Date.now()}@${HOST}`, other.bare, "someone@remote.example"];
    for (const [i, to] of tos.entries()) {
      const r = await c.iq(priv(to, "get", `a${i}`, ping()), `a${i}`);
      expect(r.attrs.type, to).toBe("error");
      forbidden(r);
    }
    const none = await component(NONE);
    forbidden(await none.iq(priv(alice.bare, "get", "a-none", ping()), "a-none"));
  });

  it("(b) no grant for the payload namespace (absent, or 'none')", async () => {
    const alice = await newUser("iq-alice");
    const c = await component(COMP);
    forbidden(await c.iq(priv(alice.bare, "get", "b1", `<iq xmlns='jabber:client' type='get' to='${HOST}' id='i'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`), "b1"));
    forbidden(await c.iq(priv(alice.bare, "get", "b2", `<iq xmlns='jabber:client' type='get' to='${HOST}' id='i'><q xmlns='urn:example:denied'/></iq>`), "b2"));
  });

  it("(c) no grant for that IQ type on that namespace", async () => {
    const alice = await newUser("iq-alice");
    const c = await component(COMP);
    forbidden(await c.iq(priv(alice.bare, "set", "c1", ping("", "set")), "c1")); // ping is get only
    forbidden(await c.iq(priv(alice.bare, "get", "c2", `<iq xmlns='jabber:client' type='get' to='${ECHO.jid}' id='i'><pubsub xmlns='${PUBSUB}#owner'/></iq>`), "c2")); // #owner is set only
  });

  it("(d) the encapsulated IQ is not in jabber:client (also: unqualified in a component stream)", async () => {
    const alice = await newUser("iq-alice");
    const c = await component(COMP);
    forbidden(await c.iq(priv(alice.bare, "get", "d1", ping("", "get", "xmlns='jabber:server'")), "d1"));
    forbidden(await c.iq(priv(alice.bare, "get", "d2", ping("", "get", "")), "d2"));
  });

  it("(e) the inner 'from' is present and not the top-level 'to'", async () => {
    const alice = await newUser("iq-alice");
    const bob = await newUser("iq-bob");
    const c = await component(COMP);
    for (const [i, from] of [`${alice.bare}/res`, bob.bare, COMP.jid].entries()) {
      forbidden(await c.iq(priv(alice.bare, "get", `e${i}`, ping(` from='${from}'`)), `e${i}`));
    }
  });

  it("(f) the top-level type differs from the inner type", async () => {
    const alice = await newUser("iq-alice");
    const c = await component(COMP);
    forbidden(await c.iq(priv(alice.bare, "set", "f1", ping()), "f1"));
  });

  it("malformed: no inner id, two payloads, no inner iq → bad-request", async () => {
    const alice = await newUser("iq-alice");
    const c = await component(COMP);
    const cases = [
      `<iq xmlns='jabber:client' type='get' to='${HOST}'><ping xmlns='urn:xmpp:ping'/></iq>`,
      `<iq xmlns='jabber:client' type='get' to='${HOST}' id='i'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/></iq>`,
      ``,
    ];
    for (const [i, inner] of cases.entries()) {
      const r = await c.iq(priv(alice.bare, "get", `m${i}`, inner), `m${i}`);
      expect(stanzaError(r), inner).toEqual({ type: "modify", condition: "bad-request" });
    }
  });
});

describe("a privileged user account (#25–#31)", () => {
  it("sends a privileged IQ as a user and gets the wrapped answer; refused without the namespace", async () => {
    const entity = await entityUser("ent-msg");
    const e = await onlineUser("ent-msg", "iq");
    const alice = await newUser("iq-alice");
    const answer = await e.iq(priv(alice.bare, "get", "u1", `<iq xmlns='jabber:client' type='get' to='${HOST}' id='up'><ping xmlns='urn:xmpp:ping'/></iq>`), "u1");
    expect(answer.attrs).toMatchObject({ type: "result", from: alice.bare, to: `${entity}/iq` });
    expect(forwardedOf(answer)!.attrs).toMatchObject({ type: "result", from: HOST, to: alice.bare, id: "up" });
    // An unqualified inner IQ on a client stream is in jabber:client.
    const plain = await e.iq(priv(alice.bare, "get", "u2", `<iq type='get' to='${HOST}' id='up2'><ping xmlns='urn:xmpp:ping'/></iq>`), "u2");
    expect(plain.attrs.type).toBe("result");
    const refused = await e.iq(priv(alice.bare, "get", "u3", `<iq type='get' to='${HOST}' id='up3'><query xmlns='jabber:iq:version'/></iq>`), "u3");
    expect(stanzaError(refused)).toEqual({ type: "auth", condition: "forbidden" });
    const toHost = await e.iq(priv(HOST, "get", "u4", `<iq type='get' to='${HOST}' id='up4'><ping xmlns='urn:xmpp:ping'/></iq>`), "u4");
    expect(stanzaError(toHost)).toEqual({ type: "auth", condition: "forbidden" });
  });
});
