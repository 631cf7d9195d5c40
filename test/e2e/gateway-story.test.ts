// The user story, with @xmpp/client only (the library web clients use): log in, see
// the roster, add a contact, go through the subscription handshake, see the contact's presence
// change, chat, receive what was sent while offline, use several resources at once.
// References: RFC 6121 §2.1.3 (roster get), §2.3 (roster set), §3.1 (subscription),
// §4.2-§4.5 (presence), §5 / §8.5 (messages), XEP-0160 (offline messages).
import { xml } from "@xmpp/client";
import { describe, expect, it } from "vitest";
import { createUser, uniqueName } from "./support/gateway";
import { connectClient } from "./support/xmpp-client";

const ROSTER = "jabber:iq:roster";

describe("two users with @xmpp/client", () => {
  it("roster, subscription, presence, chat, offline, several resources", { timeout: 60_000 }, async () => {
    const a = uniqueName("story-alice");
    const b = uniqueName("story-bob");
    const aBare = `${a}@localhost`;
    const bBare = `${b}@localhost`;
    await createUser(aBare);
    await createUser(bBare);

    const alice = await connectClient({ username: a, resource: "web" });
    const bob = await connectClient({ username: b, resource: "phone" });
    // Empty rosters, then initial presence.
    for (const c of [alice, bob]) {
      const roster = await c.xmpp.iqCaller.get(xml("query", { xmlns: ROSTER }));
      expect(roster.getChildren("item")).toEqual([]);
      await c.xmpp.send(xml("presence"));
    }

    // Alice adds Bob and asks for his presence.
    await alice.xmpp.iqCaller.set(xml("query", { xmlns: ROSTER }, xml("item", { jid: bBare, name: "Bob" }, xml("group", {}, "Friends"))));
    await alice.xmpp.send(xml("presence", { to: bBare, type: "subscribe" }));
    const request = await bob.waitFor((el) => el.is("presence") && el.attrs.type === "subscribe");
    expect(request.attrs.from).toBe(aBare);
    // Bob approves and subscribes back.
    await bob.xmpp.send(xml("presence", { to: aBare, type: "subscribed" }));
    await bob.xmpp.send(xml("presence", { to: aBare, type: "subscribe" }));
    await alice.waitFor((el) => el.is("presence") && el.attrs.type === "subscribe" && el.attrs.from === bBare);
    await alice.xmpp.send(xml("presence", { to: bBare, type: "subscribed" }));

    // Each sees the other online.
    await alice.waitFor((el) => el.is("presence") && el.attrs.from === `${bBare}/phone` && el.attrs.type === undefined);
    await bob.waitFor((el) => el.is("presence") && el.attrs.from === `${aBare}/web` && el.attrs.type === undefined);
    const aliceRoster = await alice.xmpp.iqCaller.get(xml("query", { xmlns: ROSTER }));
    const item = aliceRoster.getChildren("item")[0]!;
    expect(item.attrs).toEqual({ jid: bBare, name: "Bob", subscription: "both" });
    expect(item.getChildText("group")).toBe("Friends");

    // Bob's presence changes.
    await bob.xmpp.send(xml("presence", {}, xml("show", {}, "away"), xml("status", {}, "in a meeting")));
    const away = await alice.waitFor((el) => el.is("presence") && el.attrs.from === `${bBare}/phone` && el.getChildText("show") === "away");
    expect(away.getChildText("status")).toBe("in a meeting");

    // Chat.
    await alice.xmpp.send(xml("message", { to: bBare, type: "chat" }, xml("body", {}, "lunch?")));
    const m = await bob.waitFor((el) => el.is("message") && el.getChildText("body") === "lunch?");
    expect(m.attrs.from).toBe(`${aBare}/web`);

    // Bob goes offline; Alice sees it and writes anyway.
    await bob.stop();
    await alice.waitFor((el) => el.is("presence") && el.attrs.from === `${bBare}/phone` && el.attrs.type === "unavailable");
    await alice.xmpp.send(xml("message", { to: bBare, type: "chat" }, xml("body", {}, "where are you?")));

    // Bob comes back on two resources; the higher priority one gets the stored message.
    const desk = await connectClient({ username: b, resource: "desk" });
    await desk.xmpp.send(xml("presence", {}, xml("priority", {}, "10")));
    const stored = await desk.waitFor((el) => el.is("message") && el.getChildText("body") === "where are you?");
    expect(stored.getChild("delay", "urn:xmpp:delay")).toBeDefined();
    const phone = await connectClient({ username: b, resource: "phone" });
    await phone.xmpp.send(xml("presence", {}, xml("priority", {}, "1")));
    await alice.waitFor((el) => el.is("presence") && el.attrs.from === `${bBare}/phone` && el.attrs.type === undefined && alice.stanzas.indexOf(el) > alice.stanzas.indexOf(away));

    await alice.xmpp.send(xml("message", { to: bBare, type: "chat" }, xml("body", {}, "to the desk")));
    await desk.waitFor((el) => el.is("message") && el.getChildText("body") === "to the desk");
    await alice.xmpp.send(xml("message", { to: `${bBare}/phone`, type: "chat" }, xml("body", {}, "to the phone")));
    await phone.waitFor((el) => el.is("message") && el.getChildText("body") === "to the phone");
    expect(phone.stanzas.some((el) => el.is("message") && el.getChildText("body") === "to the desk")).toBe(false);

    for (const c of [alice, desk, phone]) await c.stop();
  });
});
