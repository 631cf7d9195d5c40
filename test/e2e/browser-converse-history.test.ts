// Converse.js 14 in headless Chromium against the per-user features: two browser
// sessions of one user see each other's messages (XEP-0280 carbons), and a third
// session opened afterwards, with empty browser storage, shows the conversation from the
// server's archive (XEP-0313). bob is a raw client; alice's sessions are separate
// browser contexts (no shared storage).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type LaunchedBrowser } from "./browser/browser";
import { ConversePage, type Frame } from "./browser/converse-page";
import { serveConverse, type StaticServer } from "./browser/serve";
import { gatewayUrl, wsUrl } from "./support/gateway";
import { type Element } from "./support/raw-client";
import { befriend, chat, closeAfterEach, isChat, newUser, on } from "./user-data-support";

closeAfterEach();

const inbound = (pred: (el: Element) => boolean) => (f: Frame) => f.dir === "in" && f.el !== undefined && pred(f.el);
const outbound = (pred: (el: Element) => boolean) => (f: Frame) => f.dir === "out" && f.el !== undefined && pred(f.el);

describe("Converse.js: carbons between two sessions, history in a third", () => {
  let server: StaticServer;
  let chrome: LaunchedBrowser;

  beforeAll(async () => {
    [server, chrome] = await Promise.all([serveConverse(), launchChromium()]);
  });

  afterAll(async () => {
    await chrome?.close();
    await server?.close();
  });

  it("each session sees what the other sent and received; a later session loads the history", async () => {
    const alice = await newUser("cv-alice");
    const bob = await newUser("cv-bob");
    // Roster both ways first (raw clients), so that Converse lists bob.
    const a0 = await on(alice.name, "setup");
    const b = await on(bob.name, "desk");
    await befriend(a0, alice.bare, b, bob.bare);
    a0.close();
    const websocketUrl = wsUrl(gatewayUrl(), "/xmpp-websocket");
    const session = async (resource: string) => {
      const tab = await ConversePage.open(await chrome.newContext(), server.url, { websocketUrl, jid: `${alice.bare}/${resource}`, password: "pw" });
      await tab.waitOnline();
      // Converse asks for carbons when the server offers them (XEP-0280 §4).
      await tab.frame(outbound((el) => el.getName() === "iq" && el.getChild("enable", "urn:xmpp:carbons:2") !== undefined));
      await tab.openChat(bob.bare);
      return tab;
    };
    const one = await session("one");
    const two = await session("two");

    await one.say(bob.bare, "typed in one");
    expect((await b.next(isChat("typed in one"))).attrs.from).toBe(`${alice.bare}/one`);
    await two.message(bob.bare, "typed in one").waitFor({ timeout: 10_000 });
    await two.say(bob.bare, "typed in two");
    await b.next(isChat("typed in two"));
    await one.message(bob.bare, "typed in two").waitFor({ timeout: 10_000 });
    // To one session's full JID: the other shows it through a received carbon.
    b.send(chat(`${alice.bare}/one`, "bob to one"));
    await one.message(bob.bare, "bob to one").waitFor({ timeout: 10_000 });
    await two.message(bob.bare, "bob to one").waitFor({ timeout: 10_000 });
    await two.frame(inbound((el) => el.getChild("received", "urn:xmpp:carbons:2") !== undefined));

    const three = await session("three");
    for (const body of ["typed in one", "typed in two", "bob to one"]) await three.message(bob.bare, body).waitFor({ timeout: 10_000 });
    // It came from the archive: a MAM query and its results, no live copy.
    await three.frame(inbound((el) => el.getChild("result", "urn:xmpp:mam:2") !== undefined));
  }, 90_000);
});
