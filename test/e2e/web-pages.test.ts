// The gateway's own web pages in headless Chromium (playwright-core): GET / (Converse.js
// served from the Workers static assets, configured for this gateway) and GET /console
// (the administration console). Screenshots of both are written to docs/screenshots/ by
// this test, so the README's pictures show what the current code renders.
//
// References: RFC 7395 (WebSocket binding, same origin), RFC 6121 §3.1 (subscription),
// §5.2.1 (chat messages), XEP-0356 (privileged roster access and its audit counts).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { xml } from "@xmpp/client";
import type { Element } from "ltx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type LaunchedBrowser, type Page } from "./browser/browser";
import { ConversePage } from "./browser/converse-page";
import { ADMIN_TOKEN } from "./support/config";
import { REPO_ROOT, createUser, gatewayUrl, startGateway, uniqueName, type Gateway } from "./support/gateway";
import { RawXmpp } from "./support/raw-client";
import { connectClient, type ConnectedClient } from "./support/xmpp-client";

const SHOTS = join(REPO_ROOT, "docs/screenshots");
const PRIV_COMP = { jid: "priv.comp.localhost", secret: "priv-secret" };

const isPresence = (from: string, type?: string) => (el: Element) =>
  el.getName() === "presence" && el.attrs.from === from && el.attrs.type === type;
const isMessageWithBody = (body: string) => (el: Element) => el.getName() === "message" && el.getChildText("body") === body;

/**
 * Console messages about blocked resources: a CSP that is too tight shows up here. The
 * sponsor logos of Converse's footer (images on conversejs.org) are blocked on purpose.
 */
function cspViolations(p: ConversePage): string[] {
  return p.console.filter((m) => /Content Security Policy|Refused to/i.test(m) && !/Loading the image 'https:\/\/conversejs\.org\//.test(m));
}

describe("the gateway's web pages in Chromium", () => {
  let chrome: LaunchedBrowser;
  const clients: ConnectedClient[] = [];
  const gateways: Gateway[] = [];
  const raws: RawXmpp[] = [];

  beforeAll(async () => {
    chrome = await launchChromium();
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    for (const r of raws) r.close();
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await chrome?.close();
    await Promise.all(gateways.map((g) => g.stop()));
  });

  it("GET / is Converse.js for this gateway: log in through its form and chat both ways", async () => {
    const alice = uniqueName("walice");
    const bob = uniqueName("wbob");
    const aliceBare = `${alice}@localhost`;
    const bobBare = `${bob}@localhost`;
    await Promise.all([createUser(aliceBare, "alice-pw"), createUser(bobBare, "bob-pw")]);

    const res = await fetch(`${gatewayUrl()}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(gatewayUrl()).host}`);

    const context = await chrome.newContext();
    // Every request the page makes to the gateway must succeed (Converse's chunks, CSS,
    // fonts, emoji data, locales come from /converse/): a missing asset shows up here.
    const failed: string[] = [];
    const loaded: string[] = [];
    context.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      else loaded.push(new URL(r.url()).pathname);
    });
    const tab = await ConversePage.visit(context, `${gatewayUrl()}/`);
    // Only the user name: the page's default domain is the first configured host.
    await tab.logIn(alice, "alice-pw");
    await tab.waitOnline();
    expect(tab.boundJid()?.startsWith(`${aliceBare}/`)).toBe(true);
    const aliceFull = tab.boundJid()!;
    // The WebSocket went to this origin's /xmpp-websocket (RFC 7395).
    expect(tab.page.url()).toBe(`${gatewayUrl()}/`);

    const bobClient = await connectClient({ username: bob, password: "bob-pw", resource: "desk" });
    clients.push(bobClient);
    await bobClient.xmpp.send(xml("presence"));

    await tab.addContact(bobBare, "Bob");
    await bobClient.waitFor(isPresence(aliceBare, "subscribe"), 10_000);
    await bobClient.xmpp.send(xml("presence", { to: aliceBare, type: "subscribed" }));
    await bobClient.xmpp.send(xml("presence", { to: aliceBare, type: "subscribe" }));
    await bobClient.waitFor(isPresence(aliceBare, "subscribed"), 10_000);
    await expect.poll(async () => tab.contact(bobBare).getAttribute("data-status"), { timeout: 10_000 }).toBe("online");

    const fromBob = `Hello ${alice}, bob here`;
    await bobClient.xmpp.send(xml("message", { to: aliceBare, type: "chat", id: "wb-1" }, xml("body", {}, fromBob)));
    // The unread badge, or (the server's archive on, issue 11) the message at once in the chat
    // Converse may have opened with the contact it just added.
    await Promise.any([
      tab.contact(bobBare).locator(".msgs-indicator").filter({ hasText: "1" }).waitFor({ timeout: 10_000 }),
      tab.message(bobBare, fromBob).waitFor({ timeout: 10_000 }),
    ]);
    await tab.openChat(bobBare);
    await tab.message(bobBare, fromBob).waitFor({ timeout: 10_000 });

    const fromAlice = "Hi bob, typed in the browser";
    await tab.say(bobBare, fromAlice);
    const got = await bobClient.waitFor(isMessageWithBody(fromAlice), 10_000);
    expect(got.attrs.from).toBe(aliceFull);
    expect(got.attrs.type).toBe("chat");
    await tab.message(bobBare, fromAlice).waitFor({ timeout: 5_000 });

    await tab.page.screenshot({ path: join(SHOTS, "client.png") });

    // The emoji picker needs Converse's emoji data, /converse/emoji.json (loaded on start or on opening).
    await tab.chat(bobBare).locator(".toggle-emojis").first().click();
    await expect.poll(() => loaded.includes("/converse/emoji.json"), { timeout: 10_000 }).toBe(true);
    expect(loaded).toContain("/converse/converse.min.js");
    expect(loaded).toContain("/converse/converse.min.css");

    expect(failed).toEqual([]);
    expect(cspViolations(tab)).toEqual([]);
    expect(chrome.blocked).toEqual([]);
    await context.close();
  }, 90_000);

  it("GET /console: sign in, see accounts, the component and its grant counts change, add an account and log in with it", async () => {
    // A gateway of its own: a fresh directory, so the listing shows exactly these accounts.
    const g = await startGateway();
    gateways.push(g);
    const user = `carol@priv.localhost`;
    await createUser(user, "carol-pw", g.url);
    await createUser("dave@localhost", "dave-pw", g.url);
    const comp = await RawXmpp.component(g.url, PRIV_COMP.jid, PRIV_COMP.secret);
    raws.push(comp);
    const carol = await connectClient({ username: "carol", domain: "priv.localhost", password: "carol-pw", resource: "phone", base: g.url });
    clients.push(carol);

    const res = await fetch(`${g.url}/console`);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");

    const context = await chrome.newContext();
    const page = await context.newPage();
    const pageLog: string[] = [];
    page.on("console", (m) => pageLog.push(`[${m.type()}] ${m.text()}`));
    page.on("dialog", (d) => void d.accept());
    await page.goto(`${g.url}/console`);

    // A wrong token is refused and not kept.
    await page.locator("#token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "That token was refused." }).waitFor();
    expect(await page.evaluate("sessionStorage.length")).toBe(0);

    await page.locator("#token").fill(ADMIN_TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#config-state").filter({ hasText: "valid" }).waitFor();
    // The token lives in session storage only: no cookie, no URL.
    expect(await page.evaluate("sessionStorage.getItem('xmpp-edge-admin-token')")).toBe(ADMIN_TOKEN);
    expect((await context.cookies()).length).toBe(0);
    expect(page.url()).toBe(`${g.url}/console`);

    // Hosts with their account counts.
    await expect.poll(() => page.locator("#overview tr[data-host='priv.localhost'] td.n").textContent()).toBe("1");
    // The accounts of the first host (localhost).
    await page.locator("#accounts tr[data-jid='dave@localhost']").waitFor();
    // Who is online, with the resource.
    await page.locator("#sessions tr[data-jid='carol@priv.localhost']").filter({ hasText: "phone" }).waitFor();
    // The component, connected.
    await expect.poll(() => page.locator(`#components tr[data-jid='${PRIV_COMP.jid}'] td.state`).textContent()).toBe("connected");
    // Its grant, with no roster read counted yet.
    const grantRow = page.locator(`#privileges tr[data-entity='${PRIV_COMP.jid}']`);
    await grantRow.filter({ hasText: "roster: both" }).waitFor();
    const rosterOk = grantRow.locator("li[data-key='roster/ok'] .n");
    expect(await rosterOk.count()).toBe(0);
    // Delegations of priv.localhost: urn:example:delegated to echo.comp.localhost (not connected).
    await page.locator("#delegations tr[data-namespace='urn:example:delegated']").filter({ hasText: "not connected" }).waitFor();

    // The component reads carol's roster under its grant (XEP-0356 §5); the count appears.
    const answer = await comp.iq(`<iq type='get' id='cr1' to='${user}'><query xmlns='jabber:iq:roster'/></iq>`, "cr1");
    expect(answer.attrs.type).toBe("result");
    await page.locator("#refresh").click();
    await expect.poll(() => rosterOk.textContent(), { timeout: 10_000 }).toBe("1");
    await comp.iq(`<iq type='get' id='cr2' to='${user}'><query xmlns='jabber:iq:roster'/></iq>`, "cr2");
    await page.locator("#refresh").click();
    await expect.poll(() => rosterOk.textContent(), { timeout: 10_000 }).toBe("2");

    // Add an account through the page, then log in with it.
    await page.locator("#add-account input[name='jid']").fill("erin@localhost");
    await page.locator("#add-account input[name='password']").fill("erin-pw");
    await page.getByRole("button", { name: "Add account" }).click();
    await page.locator("#accounts tr[data-jid='erin@localhost']").waitFor();
    const erin = await connectClient({ username: "erin", password: "erin-pw", resource: "web", base: g.url });
    clients.push(erin);
    expect(erin.jid).toBe("erin@localhost/web");

    await erin.xmpp.send(xml("presence"));
    await page.locator("#refresh").click();
    // Every section loaded (the lists load after the page is drawn), erin online from "web".
    await page.locator("#accounts tr[data-jid='erin@localhost']").waitFor();
    await page.locator("#sessions tr[data-jid='erin@localhost']").filter({ hasText: "web" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "console.png"), fullPage: true });

    // Reset dave's password through the page: the new one works, the old one does not.
    const dave = page.locator("#accounts tr[data-jid='dave@localhost']");
    await dave.locator("input[name='new-password']").fill("dave-pw-2");
    await dave.getByRole("button", { name: "Reset password" }).click();
    await page.locator("#accounts .message.ok").filter({ hasText: "password of dave@localhost changed" }).waitFor();
    const dave2 = await connectClient({ username: "dave", password: "dave-pw-2", base: g.url });
    clients.push(dave2);
    await expect(connectClient({ username: "dave", password: "dave-pw", base: g.url })).rejects.toThrow();

    // Delete erin through the page.
    await page.locator("#accounts tr[data-jid='erin@localhost']").getByRole("button", { name: "Delete" }).click();
    await page.locator("#accounts .message.ok").filter({ hasText: "erin@localhost deleted" }).waitFor();
    await expect.poll(() => page.locator("#accounts tr[data-jid='erin@localhost']").count()).toBe(0);
    expect((await fetch(`${g.url}/admin/users/erin@localhost`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);

    expect(pageLog.filter((m) => /Content Security Policy|Refused to/i.test(m))).toEqual([]);
    await context.close();
  }, 120_000);

  it("with ADMIN_TOKEN unset the console says the API is off; web_client = false turns GET / off", async () => {
    const { E2E_CONFIG } = await import("./support/config");
    const g = await startGateway({ vars: { ADMIN_TOKEN: "", XMPP_CONFIG: JSON.stringify({ ...E2E_CONFIG, web_client: false }) } });
    gateways.push(g);
    expect(await (await fetch(`${g.url}/console/admin-api`)).json()).toEqual({ admin_api: "off" });
    expect((await fetch(`${g.url}/`)).status).toBe(404);
    expect((await fetch(`${g.url}/converse/converse.min.js`)).status).toBe(404);

    const context = await chrome.newContext();
    const page: Page = await context.newPage();
    await page.goto(`${g.url}/console`);
    await page.locator("#api-off h2").filter({ hasText: "The administration API is off" }).waitFor();
    expect(await page.locator("#token").count()).toBe(0);
    await context.close();
  }, 90_000);
});
