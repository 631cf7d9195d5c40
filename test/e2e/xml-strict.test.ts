// Issue 14, item 1 (and the namespace half of item 2) over real sockets: every frame is
// held to XML 1.0, Namespaces in XML and RFC 6120 §11; a frame that breaks a rule ends
// the sender's stream with the exact condition and nothing of it reaches the would-be
// recipient (a logged-in user, a component), whose sessions keep working; and every
// namespace decision sees the namespace an element is really in after prefix resolution.
// References: XML 1.0 §2.2 (Char), §2.3 (names), §3.1 (attributes, unique), §4.1
// (references); Namespaces in XML §5 (prefixes declared), §6.3 (unique expanded names);
// RFC 6120 §4.9.3.13 (not-well-formed), §4.9.3.14 (policy-violation), §4.9.3.18
// (restricted-xml), §11.1; XEP-0356 §4.4 (IQ permission per namespace).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStrictFrame } from "../../bin/lib/strict-xml.mjs";
import { COMPONENT_SECRETS } from "./support/config";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { online, rosterGet, rosterItems } from "./support/im";
import { NS_FRAMING, RawXmpp, type Element, is, stanzaError, streamCondition } from "./support/raw-client";

const COMP = "comp.localhost";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const PRIV = "urn:xmpp:privilege:2";

/** The stream error (condition), then <close/>, then the socket closing. */
async function expectStreamError(c: RawXmpp, condition: string): Promise<void> {
  const err = await c.next(is.streamError());
  expect(streamCondition(err)).toBe(condition);
  const close = await c.next(() => true);
  expect(close.toString()).toBe(`<close xmlns="${NS_FRAMING}"/>`);
  await c.closed;
}

/** Every frame a receiver got is well-formed XML by the gateway's own rules. */
function expectAllWellFormed(c: RawXmpp): void {
  for (const frame of c.seen) {
    const r = parseStrictFrame(frame);
    expect(r.ok ? "ok" : `${r.condition}: ${r.text} in ${frame}`).toBe("ok");
  }
}

/** Bad frames: what, the frame (addressed to `to`, marked with `m`), the stream error. */
const BAD: Array<[string, (to: string, m: string) => string, string]> = [
  ["U+0001 in text", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><body>a\u0001b</body></message>`, "not-well-formed"],
  ["U+0000 in an attribute", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}' x='\u0000'><body>b</body></message>`, "not-well-formed"],
  ["U+FFFE in text", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><body>\ufffe</body></message>`, "not-well-formed"],
  ["U+FFFF in an attribute", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}\uffff'><body>b</body></message>`, "not-well-formed"],
  ["a character reference to U+0001", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><body>&#1;</body></message>`, "not-well-formed"],
  ["'<' in a name: <x<y/>", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><x<y/></message>`, "not-well-formed"],
  ["'>' in an attribute name: a>b=\"1\"", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}' a>b="1"><body>b</body></message>`, "not-well-formed"],
  ["'\"' in a name", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><x"y/></message>`, "not-well-formed"],
  ["'/' in a name", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><x/y></x/y></message>`, "not-well-formed"],
  ["an undeclared element prefix", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><p:x/></message>`, "not-well-formed"],
  ["an undeclared attribute prefix", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}' p:x='1'/>`, "not-well-formed"],
  ["a duplicate attribute", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}' type='chat' type='normal'><body>b</body></message>`, "not-well-formed"],
  ["a duplicate attribute after prefix resolution", (to, m) => `<message xmlns='jabber:client' xmlns:a='urn:x' xmlns:b='urn:x' to='${to}' id='${m}' a:k='1' b:k='2'/>`, "not-well-formed"],
  ["a bare '&'", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><body>fish & chips</body></message>`, "not-well-formed"],
  ["an unquoted value (to=bob@localhost/b id='c6')", (to, m) => `<message xmlns='jabber:client' to=${to} id='${m}'><body>b</body></message>`, "not-well-formed"],
  ["an unknown entity", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><body>&nbsp;</body></message>`, "not-well-formed"],
  ["a comment", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><!-- c --><body>b</body></message>`, "restricted-xml"],
  ["a processing instruction", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'><?pi x?><body>b</body></message>`, "restricted-xml"],
  ["a DTD with an entity", (to, m) => `<!DOCTYPE message [<!ENTITY e 'x'>]><message xmlns='jabber:client' to='${to}' id='${m}'><body>&e;</body></message>`, "restricted-xml"],
  ["30,000-deep nesting within the size limit", (to, m) => `<message xmlns='jabber:client' to='${to}' id='${m}'>${"<a>".repeat(30_000)}${"</a>".repeat(30_000)}</message>`, "policy-violation"],
];

describe("a client sending a frame that breaks XML (issue 14 #1)", () => {
  let sender: string;
  let bob: RawXmpp & { jid: string };
  let comp: RawXmpp;
  let n = 0;

  beforeAll(async () => {
    sender = uniqueName("xs-alice");
    const bobName = uniqueName("xs-bob");
    await createUser(`${sender}@localhost`);
    await createUser(`${bobName}@localhost`);
    bob = await RawXmpp.login(gatewayUrl(), { username: bobName, resource: "b", presence: true });
    comp = await RawXmpp.component(gatewayUrl(), COMP, COMPONENT_SECRETS[COMP]!);
  });
  afterAll(() => {
    bob?.close();
    comp?.close();
  });

  for (const [what, frame, condition] of BAD) {
    it(`${what}: <${condition}/>, and neither a user nor a component receives anything`, async () => {
      for (const to of [() => bob.jid, () => `svc@${COMP}`]) {
        const marker = `bad${++n}x`;
        const alice = await RawXmpp.login(gatewayUrl(), { username: sender, resource: `r${n}` });
        alice.send(frame(to(), marker));
        await expectStreamError(alice, condition);
      }
    });
  }

  it("afterwards both receivers are still served, got none of the bad frames, and everything they got is well-formed", async () => {
    const alice = await RawXmpp.login(gatewayUrl(), { username: sender, resource: "good" });
    alice.send(`<message xmlns='jabber:client' to='${bob.jid}' id='good-1'><body>still here</body></message>`);
    alice.send(`<message xmlns='jabber:client' to='svc@${COMP}' id='good-2'><body>still here</body></message>`);
    expect((await bob.next((el) => el.attrs.id === "good-1")).getChildText("body")).toBe("still here");
    expect((await comp.next((el) => el.attrs.id === "good-2")).getChildText("body")).toBe("still here");
    for (const c of [bob, comp]) {
      expect(c.seen.filter((f) => /bad\d+x/.test(f)).map((f) => JSON.stringify(f))).toEqual([]);
      expectAllWellFormed(c);
    }
    alice.close();
  });

  it("a component sending a bad frame gets the stream error too, and the user receives nothing", async () => {
    const other = await RawXmpp.component(gatewayUrl(), COMP, COMPONENT_SECRETS[COMP]!);
    await comp.closed; // replaced (conflict)
    other.send(`<message from='svc@${COMP}' to='${bob.jid}' id='cbad'><body>x\u0001</body></message>`);
    await expectStreamError(other, "not-well-formed");
    const again = await RawXmpp.component(gatewayUrl(), COMP, COMPONENT_SECRETS[COMP]!);
    again.send(`<message from='svc@${COMP}' to='${bob.jid}' id='cgood'><body>ok</body></message>`);
    await bob.next((el) => el.attrs.id === "cgood");
    expect(bob.seen.filter((f) => f.includes("cbad"))).toEqual([]);
    expectAllWellFormed(bob);
    again.close();
  });
});

describe("namespaces are resolved, not read from a literal xmlns (issue 14 #1, #2)", () => {
  it("a prefixed stanza and a prefixed payload reach the recipient in their true namespaces", async () => {
    const a = uniqueName("xs-pa");
    const b = uniqueName("xs-pb");
    await createUser(`${a}@localhost`);
    await createUser(`${b}@localhost`);
    const alice = await RawXmpp.login(gatewayUrl(), { username: a, resource: "r" });
    const bob = await RawXmpp.login(gatewayUrl(), { username: b, resource: "r" });
    alice.send(
      `<c:message xmlns:c='jabber:client' xmlns:e='urn:example:e' to='${bob.jid}' id='pfx' type='chat'>` +
        `<c:body xml:lang='en'>hi</c:body><e:x e:flag='1'><e:y/></e:x><s:hidden xmlns='urn:example:outer' xmlns:s='urn:example:inner'/></c:message>`,
    );
    await bob.next((el) => el.attrs.id === "pfx");
    const frame = bob.seen.find((f) => f.includes("pfx"))!;
    const r = parseStrictFrame(frame);
    expect(r.ok).toBe(true);
    const got = (r as { element: Element }).element;
    expect(got.name).toBe("message");
    expect(got.attrs.xmlns).toBe("jabber:client");
    expect(got.getChild("body")!.attrs["xml:lang"]).toBe("en");
    const x = got.getChild("x", "urn:example:e")!;
    expect(x.attrs["e:flag"]).toBe("1");
    expect(x.getChild("y")!.attrs.xmlns).toBeUndefined(); // same namespace as its parent
    expect(got.getChild("hidden", "urn:example:inner")).toBeDefined();
    expect(got.getChild("hidden", "urn:example:outer")).toBeUndefined();
    alice.close();
    bob.close();
  });

  describe("a component granted only pubsub 'set' (pubsub.localhost on localhost)", () => {
    const ROSTER_IN_DISGUISE = (inner: string) =>
      `<r:query xmlns='${PUBSUB}' xmlns:r='jabber:iq:roster'><r:item jid='mallory@evil.example' subscription='both' name='${inner}'/></r:query>`;
    let comp: RawXmpp;
    beforeAll(async () => {
      comp = await RawXmpp.component(gatewayUrl(), "pubsub.localhost", COMPONENT_SECRETS["pubsub.localhost"]!);
    });
    afterAll(() => comp?.close());

    it("cannot hide a roster push under a pubsub default namespace: forbidden, and the user's roster and client see nothing", async () => {
      const name = uniqueName("xs-victim");
      await createUser(`${name}@localhost`);
      const victim = await online(gatewayUrl(), name, "r");
      const bare = `${name}@localhost`;
      for (const [id, to] of [["hide-1", ""], ["hide-2", ` to='${victim.jid}'`], ["hide-3", ` to='${bare}'`]]) {
        const answer = await comp.iq(
          `<iq from='pubsub.localhost' to='${bare}' type='set' id='${id}'><privileged_iq xmlns='${PRIV}'>` +
            `<iq xmlns='jabber:client' type='set' id='in-${id}'${to}>${ROSTER_IN_DISGUISE(id)}</iq></privileged_iq></iq>`,
          id,
        );
        expect(answer.attrs.type, id).toBe("error");
        expect(stanzaError(answer), id).toEqual({ type: "auth", condition: "forbidden" });
      }
      await victim.nothing((el) => el.getName() === "iq" && el.attrs.type === "set", 1000);
      expect(rosterItems(await rosterGet(victim))).toEqual([]);
      victim.close();
    });

    it("while the same payload genuinely in pubsub, written with a prefix, is let through as pubsub", async () => {
      const name = uniqueName("xs-user");
      await createUser(`${name}@localhost`);
      const bare = `${name}@localhost`;
      comp.send(
        `<iq from='pubsub.localhost' to='${bare}' type='set' id='real-1'><privileged_iq xmlns='${PRIV}'>` +
          `<iq xmlns='jabber:client' type='set' id='in-real' to='${bare}'><p:pubsub xmlns:p='${PUBSUB}'><p:publish node='n'/></p:pubsub></iq></privileged_iq></iq>`,
      );
      // Delegated (XEP-0355) to pubsub.localhost itself, in its true namespace.
      const wrapped = await comp.next((el) => el.getName() === "iq" && el.getChild("delegation", "urn:xmpp:delegation:2") !== undefined);
      const inner = wrapped.getChild("delegation")!.getChild("forwarded")!.getChild("iq")!;
      expect(inner.getChild("pubsub", PUBSUB)?.getChild("publish")?.attrs.node).toBe("n");
      expect(comp.pending().some((el) => el.attrs.id === "real-1" && stanzaError(el).condition === "forbidden")).toBe(false);
    });
  });
});
