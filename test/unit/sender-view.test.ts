// The view a client's connection keeps of its own account's outbound side
// (src/im/sender-view.ts): which messages need the sender's account after they left.
import { describe, expect, it } from "vitest";
import { parse } from "ltx";
import { env } from "cloudflare:test";
import { acceptsDirect, accountActsOn, directMessage, forgetSenderView, sendsBlocked } from "../../src/im/sender-view";
import { FEATURES } from "../../src/features";
import type { Registry } from "../../src/features/feature";
import { parseConfig } from "../../src/config";
import type { Ports, SenderView } from "../../src/ports/ports";

/** Ports whose only account answers `view`, counting the reads. */
function portsWith(view: () => SenderView): { ports: Ports; reads: () => number } {
  let reads = 0;
  const account = { outgoingView: async () => (reads++, view()) };
  return { ports: { account: () => account } as unknown as Ports, reads: () => reads };
}

const msg = (inner: string, type = "chat") => parse(`<message xmlns='jabber:client' type='${type}' to='bob@localhost/b' id='m1'>${inner}</message>`);
const NO_STORE = "<no-store xmlns='urn:xmpp:hints'/>";
const COMPOSING = "<composing xmlns='http://jabber.org/protocol/chatstates'/>";

describe("which messages the sender's account acts on", () => {
  it("an archivable message always goes to the account (it archives it, XEP-0313)", async () => {
    forgetSenderView("a1@localhost");
    const { ports, reads } = portsWith(() => ({ blocked: [], carbons: [] }));
    expect(await accountActsOn(ports, "a1@localhost", "phone", msg("<body>hi</body>"))).toBe(true);
    expect(reads()).toBe(0); // decided without the view
  });

  it("a chat state or a no-store message, with no other resource copying: not at all", async () => {
    forgetSenderView("a2@localhost");
    const { ports } = portsWith(() => ({ blocked: [], carbons: ["phone"] })); // only the sender itself has carbons on
    expect(await accountActsOn(ports, "a2@localhost", "phone", msg(COMPOSING))).toBe(false);
    expect(await accountActsOn(ports, "a2@localhost", "phone", msg(`<body>hi</body>${NO_STORE}`))).toBe(false);
  });

  it("another resource with carbons on: a carbon-eligible message goes to the account (XEP-0280 sent copies)", async () => {
    forgetSenderView("a3@localhost");
    const { ports } = portsWith(() => ({ blocked: [], carbons: ["phone", "laptop"] }));
    expect(await accountActsOn(ports, "a3@localhost", "phone", msg(COMPOSING))).toBe(true);
    expect(await accountActsOn(ports, "a3@localhost", "phone", msg(`<body>hi</body>${NO_STORE}`))).toBe(true);
    // ...but not one carbons leave out (<private/>, XEP-0280 §9), nor groupchat.
    expect(await accountActsOn(ports, "a3@localhost", "phone", msg(`${COMPOSING}<private xmlns='urn:xmpp:carbons:2'/>`))).toBe(false);
    expect(await accountActsOn(ports, "a3@localhost", "phone", msg(COMPOSING, "groupchat"))).toBe(false);
  });

  it("the view is read once and read again after the account says it changed", async () => {
    forgetSenderView("a4@localhost");
    let carbons: string[] = [];
    const { ports, reads } = portsWith(() => ({ blocked: ["eve@localhost"], carbons }));
    expect(await accountActsOn(ports, "a4@localhost", "phone", msg(COMPOSING))).toBe(false);
    expect(await sendsBlocked(ports, "a4@localhost", "eve@localhost/x")).toBe(true);
    expect(reads()).toBe(1);
    carbons = ["laptop"];
    forgetSenderView("a4@localhost");
    expect(await accountActsOn(ports, "a4@localhost", "phone", msg(COMPOSING))).toBe(true);
    expect(reads()).toBe(2);
  });

  it("a view read while a change was told is used once but not kept", async () => {
    forgetSenderView("a5@localhost");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reads = 0;
    const account = { outgoingView: async () => { reads++; await gate; return { blocked: [], carbons: [] }; } };
    const ports = { account: () => account } as unknown as Ports;
    const first = accountActsOn(ports, "a5@localhost", "phone", msg(COMPOSING));
    forgetSenderView("a5@localhost"); // e.g. carbons enabled elsewhere while the read was on its way
    release();
    await first;
    await accountActsOn(ports, "a5@localhost", "phone", msg(COMPOSING));
    expect(reads).toBe(2);
  });

  it("only MAM and carbons act on sent or arriving messages: a feature that adds such a handler must be asked about in the view", () => {
    const config = parseConfig(env);
    const withHandler: Record<string, string[]> = { messageSent: [], messageArriving: [], messageDelivered: [] };
    for (const feature of FEATURES) {
      const registry = new Proxy({ config } as Registry, {
        get: (target, prop) => prop === "config" ? target.config
          : prop === "accountEvents" ? (e: Record<string, unknown>) => {
            for (const name of Object.keys(withHandler)) if (e[name]) withHandler[name]!.push(feature.name);
          }
          : () => undefined,
      });
      feature.register(registry);
    }
    expect(withHandler.messageSent!.sort()).toEqual(["carbons", "mam"]);
    expect(withHandler.messageArriving!.sort()).toEqual(["carbons", "mam"]);
    expect(withHandler.messageDelivered!.sort()).toEqual(["carbons"]);
  });
});

describe("which messages may skip the recipient's account", () => {
  const to = (inner: string, type = "chat", from = "alice@localhost/a") =>
    parse(`<message xmlns='jabber:client' type='${type}' from='${from}' to='bob@localhost/b' id='m1'>${inner}</message>`);

  it("not an archivable one, one with carbons' <private/>, one to the sender's own account, or one without a from", () => {
    expect(directMessage(to("<body>hi</body>"), "alice@localhost", "bob@localhost")).toBeNull(); // XEP-0313 stamps and keeps it
    expect(directMessage(to(`${COMPOSING}<private xmlns='urn:xmpp:carbons:2'/>`), "alice@localhost", "bob@localhost")).toBeNull(); // stripped there
    expect(directMessage(to(COMPOSING, "chat", "bob@localhost/c"), "bob@localhost", "bob@localhost")).toBeNull();
    expect(directMessage(parse(`<message xmlns='jabber:client' to='bob@localhost/b'>${COMPOSING}</message>`), "alice@localhost", "bob@localhost")).toBeNull();
  });

  it("a chat state or a no-store message may, saying whether carbons would copy it", () => {
    expect(directMessage(to(COMPOSING), "alice@localhost", "bob@localhost")).toEqual({ kind: "message", from: "alice@localhost/a", carbonEligible: true });
    expect(directMessage(to(`<body>hi</body>${NO_STORE}`), "alice@localhost", "bob@localhost")).toEqual({ kind: "message", from: "alice@localhost/a", carbonEligible: true });
    expect(directMessage(to(`<body>hi</body>${NO_STORE}`, "headline"), "alice@localhost", "bob@localhost")).toEqual({ kind: "message", from: "alice@localhost/a", carbonEligible: false });
  });

  it("the recipient's connection takes it unless its blocklist matches the sender or another resource copies it", async () => {
    forgetSenderView("b1@localhost");
    let view: SenderView = { blocked: [], carbons: ["b"] };
    const { ports } = portsWith(() => view);
    const chatState = { kind: "message" as const, from: "alice@localhost/a", carbonEligible: true };
    expect(await acceptsDirect(ports, "b1@localhost", "b", chatState)).toBe(true); // only itself has carbons on
    view = { blocked: ["alice@localhost"], carbons: [] };
    forgetSenderView("b1@localhost");
    expect(await acceptsDirect(ports, "b1@localhost", "b", chatState)).toBe(false); // XEP-0191 §3.3: the account answers
    view = { blocked: ["localhost"], carbons: [] }; // a domain matches every JID at it
    forgetSenderView("b1@localhost");
    expect(await acceptsDirect(ports, "b1@localhost", "b", chatState)).toBe(false);
    view = { blocked: [], carbons: ["b", "laptop"] };
    forgetSenderView("b1@localhost");
    expect(await acceptsDirect(ports, "b1@localhost", "b", chatState)).toBe(false); // XEP-0280: the laptop gets a copy
    expect(await acceptsDirect(ports, "b1@localhost", "b", { ...chatState, carbonEligible: false })).toBe(true);
  });
});
