// XEP-0356 §4.1 advertisement, over real sockets: to a component right after its handshake,
// and to a privileged user account's resource on its initial presence.
// Checklist items (shared/xep0356.md): #4–#9 (and #2: grants per host, from configuration only).
import { describe, expect, it } from "vitest";
import { gatewayUrl } from "./support/gateway";
import { RawXmpp, type Element } from "./support/raw-client";
import { COMP, HOST, NONE, PRIV, RO, closeAfterEach, component, entityUser, isAdvertisement, loginUser, track } from "./privilege-support";

closeAfterEach();

const perms = (adv: Element) =>
  adv.getChild("privilege", PRIV)!.getChildren("perm").map((p) => ({ ...p.attrs, ns: p.getChildren("namespace").map((n) => `${n.attrs.ns}=${n.attrs.type}`).join(" ") }));

describe("advertisement to a component (#4–#9)", () => {
  it("#4 #5 #6 #7 #8: one message from the host after the handshake, every perm with its type, push and iq namespaces", async () => {
    const c = await component(COMP);
    const adv = c.adv!;
    expect(adv.attrs.from).toBe(HOST);
    expect(adv.attrs.to).toBe(COMP.jid);
    expect(adv.attrs.id).toMatch(/^priv-adv-/);
    expect(adv.getChild("privilege")!.attrs.xmlns).toBe(PRIV);
    expect(perms(adv)).toEqual([
      { access: "roster", type: "both", push: "true", ns: "" },
      { access: "message", type: "outgoing", ns: "" },
      { access: "presence", type: "roster", ns: "" },
      {
        access: "iq",
        ns: [
          "http://jabber.org/protocol/pubsub=both", "http://jabber.org/protocol/pubsub#owner=set", "jabber:iq:roster=both",
          "jabber:iq:version=get", "urn:example:delegated=both", "urn:example:denied=none", "urn:xmpp:ping=get",
        ].join(" "),
      },
    ]);
    // Exactly one advertisement (one granting host).
    await c.nothing(isAdvertisement, 500);
  });

  it("#7 #9: denied accesses are listed with type='none', push='false' when pushes are off", async () => {
    const none = await component(NONE);
    expect(perms(none.adv!)).toEqual([
      { access: "roster", type: "none", push: "false", ns: "" },
      { access: "message", type: "none", ns: "" },
      { access: "presence", type: "none", ns: "" },
      { access: "iq", ns: "" },
    ]);
    const ro = await component(RO);
    expect(perms(ro.adv!)).toEqual([
      { access: "roster", type: "get", push: "false", ns: "" },
      { access: "message", type: "none", ns: "" },
      { access: "presence", type: "managed_entity", ns: "" },
      { access: "iq", ns: "urn:xmpp:ping=get" },
    ]);
  });

  it("#2: a component no host grants anything gets no advertisement", async () => {
    const c = track(await RawXmpp.component(gatewayUrl(), "comp.localhost", "comp-secret"));
    await c.nothing(isAdvertisement, 800);
  });
});

describe("advertisement to a privileged user account (#4)", () => {
  it("comes to the resource on its initial presence, not before", async () => {
    const bare = await entityUser("ent-roster");
    const c = await loginUser("ent-roster", "adv");
    await c.nothing(isAdvertisement, 400);
    c.send(`<presence xmlns='jabber:client'/>`);
    const adv = await c.next(isAdvertisement);
    expect(adv.attrs.from).toBe(HOST);
    expect(adv.attrs.to).toBe(`${bare}/adv`);
    expect(perms(adv)).toEqual([
      { access: "roster", type: "both", push: "true", ns: "" },
      { access: "message", type: "none", ns: "" },
      { access: "presence", type: "managed_entity", ns: "" },
      { access: "iq", ns: "" },
    ]);
    // A later presence update is not an initial presence: no second advertisement.
    c.send(`<presence xmlns='jabber:client'><show>away</show></presence>`);
    await c.nothing(isAdvertisement, 500);
  });
});
