// Converse.js (Strophe's XEP-0198 and Converse's XEP-0352) in headless Chromium against
// a gateway that is restarted on the same --persist-to directory: Converse keeps its
// stream while it says <inactive/> (csi_waiting_time), and after the restart it resumes
// the session, without a new login, and shows the message sent to it meanwhile.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type LaunchedBrowser } from "./browser/browser";
import { ConversePage, type Frame } from "./browser/converse-page";
import { serveConverse, type StaticServer } from "./browser/serve";
import { createUser, startGateway, uniqueName, wsUrl, type Gateway } from "./support/gateway";
import { RawXmpp } from "./support/raw-client";
import { NS_CSI, NS_SM, chat } from "./support/sm";
import { rosterSet } from "./support/im";

const named = (dir: Frame["dir"], name: string, ns: string) => (f: Frame) => f.dir === dir && f.el?.getName() === name && f.el.attrs.xmlns === ns;

describe("Converse.js keeps its session (XEP-0198, XEP-0352)", () => {
  const dir = mkdtempSync(join(tmpdir(), "xmpp-edge-e2e-converse-sm-"));
  let gw: Gateway | undefined;
  let server: StaticServer;
  let chrome: LaunchedBrowser;

  beforeAll(async () => {
    [server, chrome, gw] = await Promise.all([serveConverse(), launchChromium(), startGateway({ persistDir: dir })]);
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
    await server?.close();
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("inactive keeps the stream; after a restart it resumes and shows the message sent meanwhile", { timeout: 180_000 }, async () => {
    const alice = uniqueName("cv-alice");
    const bob = uniqueName("cv-bob");
    const aliceBare = `${alice}@localhost`;
    const bobBare = `${bob}@localhost`;
    await createUser(aliceBare, "pw", gw!.url);
    await createUser(bobBare, "pw", gw!.url);
    // Bob in alice's roster, so that Converse lists him and his chat can be opened.
    const setup = await RawXmpp.login(gw!.url, { username: alice, resource: "setup" });
    await rosterSet(setup, bobBare, { name: "Bob" });
    setup.close();
    const context = await chrome.newContext();
    const tab = await ConversePage.open(context, server.url, {
      websocketUrl: wsUrl(gw!.url, "/xmpp-websocket"),
      jid: `${aliceBare}/browser`,
      password: "pw",
      extra: { reconnect: "1", csi: "2" },
    });
    try {
      await tab.waitOnline();
      // Converse enables SM with resumption when offered.
      const enabled = await tab.frame(named("in", "enabled", NS_SM));
      expect(enabled.el!.attrs.resume).toBe("true");
      await tab.openChat(bobBare);
      // csi_waiting_time: after 2 s without user activity Converse says <inactive/>; the stream stays.
      const quiet = tab.frames.length;
      await tab.frame(named("out", "inactive", NS_CSI), { from: quiet, timeout: 15_000 });
      const bobC = await RawXmpp.login(gw!.url, { username: bob, resource: "b" });
      bobC.send(chat(`${aliceBare}/browser`, "while-inactive", "delivered while inactive"));
      await expect.poll(() => tab.page.getByText("delivered while inactive").count(), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(tab.frames.some((f) => f.dir === "in" && f.el?.getName() === "error")).toBe(false);
      bobC.close();

      // The deploy: the gateway stops and starts again on the same state and port.
      const binds = tab.frames.filter((f) => f.dir === "out" && f.text.includes("urn:ietf:params:xml:ns:xmpp-bind")).length;
      const mark = tab.frames.length;
      const port = gw!.port;
      await gw!.stop();
      gw = await startGateway({ persistDir: dir, port });
      const bob2 = await RawXmpp.login(gw.url, { username: bob, resource: "b2" });
      bob2.send(chat(aliceBare, "meanwhile", "sent while the gateway restarted"));
      await tab.frame(named("in", "resumed", NS_SM), { from: mark, timeout: 60_000 });
      await expect.poll(() => tab.page.getByText("sent while the gateway restarted").count(), { timeout: 20_000 }).toBeGreaterThan(0);
      // No new login: no second bind, the same session.
      expect(tab.frames.filter((f) => f.dir === "out" && f.text.includes("urn:ietf:params:xml:ns:xmpp-bind")).length).toBe(binds);
      bob2.close();
    } catch (e) {
      const tail = tab.frames.slice(-30).map((x) => `${x.dir === "in" ? "<<" : ">>"} ${x.text}`).join("\n");
      if (e instanceof Error) e.message += `\nlast frames:\n${tail}\nconsole:\n${tab.console.slice(-10).join("\n")}`;
      throw e;
    } finally {
      await context.close();
    }
  });
});
