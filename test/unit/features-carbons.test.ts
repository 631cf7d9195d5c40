// XEP-0280 Message Carbons: enable/disable, eligibility, the copies and who gets them.
import { describe, expect, it } from "vitest";
import { type Element, parse } from "ltx";
import { same } from "./support/xml-compare";
import {
  carbonCopies, carbonRecipients, handleCarbonsIq, isCarbonEligible, receivedCarbon, sentCarbon, stripPrivate,
} from "../../src/carbons";


const ROMEO = "romeo@montague.example";

describe("enable and disable (XEP-0280 §4, §5, §9.1)", () => {
  const enable = parse(`<iq xmlns='jabber:client' from='${ROMEO}/garden' id='enable1' type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>`);
  const disable = parse(`<iq xmlns='jabber:client' from='${ROMEO}/garden' id='disable1' type='set'><disable xmlns='urn:xmpp:carbons:2'/></iq>`);

  it("enables with an empty result from the bare JID (Example 3)", () => {
    const out = handleCarbonsIq(enable, false, ROMEO);
    expect(out.enabled).toBe(true);
    same(out.reply, `<iq xmlns='jabber:client' from='${ROMEO}' id='enable1' to='${ROMEO}/garden' type='result'/>`);
  });

  it("a second enable is a plain result, not an error", () => {
    const out = handleCarbonsIq(enable, true, ROMEO);
    expect(out.enabled).toBe(true);
    expect(out.reply.attrs.type).toBe("result");
  });

  it("disables, also when already disabled (Example 6)", () => {
    for (const before of [true, false]) {
      const out = handleCarbonsIq(disable, before, ROMEO);
      expect(out.enabled).toBe(false);
      same(out.reply, `<iq xmlns='jabber:client' from='${ROMEO}' id='disable1' to='${ROMEO}/garden' type='result'/>`);
    }
  });

  it("refuses a get and an unknown element with bad-request, leaving the flag", () => {
    const get = parse(`<iq xmlns='jabber:client' from='${ROMEO}/garden' id='g' type='get'><enable xmlns='urn:xmpp:carbons:2'/></iq>`);
    const odd = parse(`<iq xmlns='jabber:client' from='${ROMEO}/garden' id='o' type='set'><private xmlns='urn:xmpp:carbons:2'/></iq>`);
    for (const iq of [get, odd]) {
      const out = handleCarbonsIq(iq, true, ROMEO);
      expect(out.enabled).toBe(true);
      expect(out.reply.attrs.type).toBe("error");
      expect(out.reply.getChild("error")!.getChild("bad-request", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    }
  });
});

describe("eligibility (XEP-0280 §6)", () => {
  const m = (attrs: string, body: string) => parse(`<message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='${ROMEO}' ${attrs}>${body}</message>`);
  const cases: [string, Element, "sent" | "received", boolean][] = [
    ["type chat, no body", m("type='chat'", ""), "received", true],
    ["type chat with body", m("type='chat'", "<body>hi</body>"), "sent", true],
    ["type normal with body", m("type='normal'", "<body>hi</body>"), "received", true],
    ["no type (normal) with body", m("", "<body>hi</body>"), "received", true],
    ["type normal without body", m("type='normal'", "<subject>x</subject>"), "received", false],
    ["headline with body", m("type='headline'", "<body>news</body>"), "received", false],
    ["groupchat", m("type='groupchat'", "<body>hi</body>"), "received", false],
    ["normal with a chat state", m("", "<composing xmlns='http://jabber.org/protocol/chatstates'/>"), "sent", true],
    ["normal with a receipt", m("", "<received xmlns='urn:xmpp:receipts' id='x'/>"), "sent", true],
    ["normal with a receipt request", m("", "<request xmlns='urn:xmpp:receipts'/>"), "received", true],
    ["normal with a chat marker", m("", "<displayed xmlns='urn:xmpp:chat-markers:0' id='x'/>"), "sent", true],
    ["a direct MUC invitation", m("", "<x xmlns='jabber:x:conference' jid='room@muc.example'/>"), "received", true],
    ["chat with <private/>", m("type='chat'", "<body>hi</body><private xmlns='urn:xmpp:carbons:2'/>"), "sent", false],
    ["chat with XEP-0334 <no-copy/>", m("type='chat'", "<body>hi</body><no-copy xmlns='urn:xmpp:hints'/>"), "received", false],
    ["a sent carbon", m("type='chat'", "<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></sent>"), "received", false],
    ["a received carbon", m("type='chat'", "<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></received>"), "received", false],
    ["an archive result", m("", "<result xmlns='urn:xmpp:mam:2' id='a'><forwarded xmlns='urn:xmpp:forward:0'/></result>"), "received", false],
    ["error (answer to an eligible message)", m("type='error'", "<error type='cancel'/>"), "received", true],
  ];
  for (const [name, msg, dir, want] of cases) {
    it(`${name}: ${want ? "copied" : "not copied"}`, () => expect(isCarbonEligible(msg, dir)).toBe(want));
  }

  it("an error answering an ineligible message is not copied", () => {
    expect(isCarbonEligible(m("type='error'", "<error type='cancel'/>"), "received", { errorAnswersEligible: false })).toBe(false);
  });

  it("a private message from a MUC occupant is not copied; one sent to an occupant is", () => {
    const fromRoom = parse(`<message xmlns='jabber:client' from='room@muc.example/nurse' to='${ROMEO}/garden' type='chat'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`);
    expect(isCarbonEligible(fromRoom, "received")).toBe(false);
    const toOccupant = parse(`<message xmlns='jabber:client' from='${ROMEO}/garden' to='room@muc.example/nurse' type='chat'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`);
    expect(isCarbonEligible(toOccupant, "sent")).toBe(true);
    const toRoomBare = parse(`<message xmlns='jabber:client' from='${ROMEO}/garden' to='room@muc.example' type='chat'><body>psst</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`);
    expect(isCarbonEligible(toRoomBare, "sent")).toBe(false);
  });

  it("a mediated MUC invitation received from the room is copied", () => {
    const invite = parse(`<message xmlns='jabber:client' from='room@muc.example' to='${ROMEO}'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='juliet@capulet.example'/></x></message>`);
    expect(isCarbonEligible(invite, "received")).toBe(true);
  });

  it("checks the namespace, not only the name", () => {
    const fakePrivate = m("type='chat'", "<body>hi</body><private xmlns='urn:example:other'/>");
    expect(isCarbonEligible(fakePrivate, "sent")).toBe(true);
    const fakeState = m("", "<composing xmlns='urn:example:other'/>");
    expect(isCarbonEligible(fakeState, "sent")).toBe(false);
  });

  it("a message arriving on a component stream (jabber:component:accept) is judged the same", () => {
    const viaComponent = parse(`<message xmlns='jabber:component:accept' from='bot@gw.example' to='${ROMEO}' type='chat'><body>hi</body><no-copy xmlns='urn:xmpp:hints'/></message>`);
    expect(isCarbonEligible(viaComponent, "received")).toBe(false);
  });
});

describe("carbon copies (XEP-0280 §7, §8)", () => {
  it("received copy: Example 11 exactly", () => {
    const original = parse(`<message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='${ROMEO}/garden' type='chat'>
      <body>What man art thou that, thus bescreen'd in night, so stumblest on my counsel?</body>
      <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread></message>`);
    same(receivedCarbon(original, ROMEO, `${ROMEO}/home`), `<message xmlns='jabber:client' from='${ROMEO}' to='${ROMEO}/home' type='chat'>
      <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
        <message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='${ROMEO}/garden' type='chat'>
          <body>What man art thou that, thus bescreen'd in night, so stumblest on my counsel?</body>
          <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>
        </message></forwarded></received></message>`);
  });

  it("sent copy: Example 13 exactly, the original left unchanged", () => {
    const original = parse(`<message xmlns='jabber:client' from='${ROMEO}/home' to='juliet@capulet.example/balcony' type='chat'>
      <body>Neither, fair saint, if either thee dislike.</body><thread>0e3141cd80894871a68e6fe6b1ec56fa</thread></message>`);
    const before = original.toString();
    const copy = sentCarbon(original, ROMEO, `${ROMEO}/garden`);
    same(copy, `<message xmlns='jabber:client' from='${ROMEO}' to='${ROMEO}/garden' type='chat'>
      <sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>
        <message xmlns='jabber:client' to='juliet@capulet.example/balcony' from='${ROMEO}/home' type='chat'>
          <body>Neither, fair saint, if either thee dislike.</body><thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>
        </message></forwarded></sent></message>`);
    expect(original.toString()).toBe(before);
    // The serialised copy carries the inner namespace explicitly, so it parses standalone.
    const reparsed = parse(copy.toString());
    const inner = reparsed.getChild("sent", "urn:xmpp:carbons:2")!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("message", "jabber:client");
    expect(inner!.getChild("body", "jabber:client")!.getText()).toBe("Neither, fair saint, if either thee dislike.");
  });

  it("a copy of a message without a type has no type; a component-stream message is re-tagged jabber:client", () => {
    const original = parse(`<message xmlns='jabber:component:accept' from='bot@gw.example' to='${ROMEO}'><body>x</body></message>`);
    const copy = parse(receivedCarbon(original, ROMEO, `${ROMEO}/a`).toString());
    expect(copy.attrs.type).toBeUndefined();
    const inner = copy.getChild("received", "urn:xmpp:carbons:2")!.getChild("forwarded", "urn:xmpp:forward:0")!.getChildElements()[0]!;
    expect(inner.getNS()).toBe("jabber:client");
    expect(inner.getChild("body", "jabber:client")).toBeDefined();
  });

  it("strips <private/> before delivery to the recipient (§9), keeping everything else", () => {
    const msg = parse(`<message xmlns='jabber:client' from='${ROMEO}/home' to='juliet@capulet.example/home' type='chat'><body>b</body><private xmlns='urn:xmpp:carbons:2'/><private xmlns='urn:example:keep'/></message>`);
    same(stripPrivate(msg), `<message xmlns='jabber:client' from='${ROMEO}/home' to='juliet@capulet.example/home' type='chat'><body>b</body><private xmlns='urn:example:keep'/></message>`);
  });
});

describe("who gets a copy", () => {
  const resources = [
    { name: "garden", carbons: true, available: true, priority: 1 },
    { name: "home", carbons: true, available: true, priority: 0 },
    { name: "phone", carbons: true, available: true, priority: -1 },
    { name: "old", carbons: false, available: true, priority: 5 },
    { name: "garden", carbons: true, available: true, priority: 1 },
  ];

  it("received to a full JID: every other carbons-enabled resource, once", () => {
    expect(carbonRecipients(resources, ["garden"])).toEqual(["home", "phone"]);
  });

  it("received to the bare JID, delivered to the top-priority resources: the rest get copies", () => {
    expect(carbonRecipients(resources, ["garden", "home"])).toEqual(["phone"]);
  });

  it("received and delivered nowhere directly (all negative priority): every enabled resource", () => {
    expect(carbonRecipients(resources, [])).toEqual(["garden", "home", "phone"]);
  });

  it("sent: every carbons-enabled resource except the sender, whether or not the sender enabled carbons", () => {
    expect(carbonRecipients(resources, [], "garden")).toEqual(["home", "phone"]);
    expect(carbonRecipients(resources, [], "old")).toEqual(["garden", "home", "phone"]);
  });

  it("sent to one's own other resource: that one receives it directly, no copy", () => {
    expect(carbonRecipients(resources, ["home"], "garden")).toEqual(["phone"]);
  });

  it("nobody with carbons: nobody", () => {
    expect(carbonRecipients([{ name: "a", carbons: false }], [])).toEqual([]);
  });
});

describe("carbonCopies: eligibility, recipients and wrappers together", () => {
  const resources = [{ name: "garden", carbons: true }, { name: "home", carbons: true }, { name: "old", carbons: false }];

  it("a received chat message to garden: one <received/> copy, to home", () => {
    const m = parse(`<message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='${ROMEO}/garden' type='chat'><body>hi</body></message>`);
    const copies = carbonCopies({ message: m, direction: "received", ownerBare: ROMEO, resources, direct: ["garden"] });
    expect(copies).toHaveLength(1);
    same(copies[0]!, `<message xmlns='jabber:client' from='${ROMEO}' to='${ROMEO}/home' type='chat'><received xmlns='urn:xmpp:carbons:2'>
      <forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='${ROMEO}/garden' type='chat'><body>hi</body></message></forwarded></received></message>`);
  });

  it("a sent message from old (carbons off): <sent/> copies to garden and home", () => {
    const m = parse(`<message xmlns='jabber:client' from='${ROMEO}/old' to='juliet@capulet.example' type='chat'><body>hi</body></message>`);
    const copies = carbonCopies({ message: m, direction: "sent", ownerBare: ROMEO, resources, direct: [], sender: "old" });
    expect(copies.map((c) => [c.attrs.to, c.getChildElements()[0]!.getName()])).toEqual([[`${ROMEO}/garden`, "sent"], [`${ROMEO}/home`, "sent"]]);
  });

  it("an ineligible message (<private/>, headline) makes no copies", () => {
    const priv = parse(`<message xmlns='jabber:client' from='${ROMEO}/garden' to='juliet@capulet.example' type='chat'><body>x</body><private xmlns='urn:xmpp:carbons:2'/></message>`);
    expect(carbonCopies({ message: priv, direction: "sent", ownerBare: ROMEO, resources, direct: [], sender: "garden" })).toEqual([]);
    const news = parse(`<message xmlns='jabber:client' from='news.example' to='${ROMEO}' type='headline'><body>x</body></message>`);
    expect(carbonCopies({ message: news, direction: "received", ownerBare: ROMEO, resources, direct: [] })).toEqual([]);
  });
});
