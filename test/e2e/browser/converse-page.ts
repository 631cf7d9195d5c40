// One Converse.js tab as a user sees it, plus a record of its WebSocket traffic.
//
// The UI is driven with locators on what a user sees (roles, labels, texts) where
// Converse offers them, and on Converse's own stable class names elsewhere. Converse 14
// renders its custom elements into the light DOM; playwright's CSS engine would also
// pierce open shadow roots should a later version use them.
//
// The frame record lets a test assert the exact stanzas the gateway sent the browser
// (e.g. the XEP-0203 delay on an offline message), which the UI does not show.
import { parse, type Element } from "ltx";
import type { BrowserContext, Locator, Page } from "playwright-core";

export interface Frame {
  dir: "in" | "out";
  text: string;
  /** The parsed element, when the frame is XML. */
  el?: Element;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ConversePage {
  /** Every WebSocket frame of this tab, both directions, in order (all sockets). */
  readonly frames: Frame[] = [];
  /** Console errors and uncaught exceptions of the page (for failure messages). */
  readonly console: string[] = [];

  private constructor(readonly page: Page) {
    page.on("websocket", (ws) => {
      const record = (dir: Frame["dir"]) => (f: { payload: string | Buffer }) => {
        const text = typeof f.payload === "string" ? f.payload : f.payload.toString("utf8");
        let el: Element | undefined;
        try {
          el = parse(text);
        } catch {
          el = undefined;
        }
        this.frames.push({ dir, text, el });
      };
      ws.on("framesent", record("out"));
      ws.on("framereceived", record("in"));
    });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") this.console.push(`[${m.type()}] ${m.text()}`);
    });
    page.on("pageerror", (e) => this.console.push(`[pageerror] ${e.message}`));
  }

  /** Opens the page; with `auto_login` Converse logs in with the given JID right away. */
  static async open(
    context: BrowserContext,
    pageUrl: string,
    opts: { websocketUrl: string; jid: string; password: string; extra?: Record<string, string> },
  ): Promise<ConversePage> {
    const page = await context.newPage();
    const cp = new ConversePage(page);
    const q = new URLSearchParams({ ws: opts.websocketUrl, jid: opts.jid, password: opts.password, ...opts.extra });
    await page.goto(`${pageUrl}/?${q.toString()}`);
    return cp;
  }

  /** Opens a page as it is (no query string): the gateway's own GET / for instance. */
  static async visit(context: BrowserContext, url: string): Promise<ConversePage> {
    const page = await context.newPage();
    const cp = new ConversePage(page);
    await page.goto(url);
    return cp;
  }

  /** The controlbox once logged in: own status shown as online. */
  async waitOnline(timeout = 15_000): Promise<void> {
    await this.page.locator("converse-user-profile .xmpp-status [data-value='online']").waitFor({ timeout });
    await this.page.locator("#converse-roster").waitFor({ timeout });
  }

  /**
   * The `<li>` of a roster contact (bare JID). A contact with unread messages is listed
   * twice (in "Unread messages" and in its own group); both rows render the same state.
   */
  contact(bare: string): Locator {
    return this.page.locator("#converse-roster li.list-item").filter({ has: this.page.locator(`a.open-chat[data-jid="${bare}"]`) }).first();
  }

  /** The open chat with a contact. */
  chat(bare: string): Locator {
    return this.page.locator(`converse-chat[jid="${bare}"]`);
  }

  /** A message in the chat with `bare` whose text is exactly `body`. */
  message(bare: string, body: string): Locator {
    return this.chat(bare).locator(".chat-msg__text").filter({ hasText: new RegExp(`^\\s*${escapeRegExp(body)}\\s*$`) });
  }

  /** Adds a contact through the roster menu's "Add a contact" dialog (roster set + subscribe). */
  async addContact(bare: string, name: string): Promise<void> {
    await this.page.locator("#converse-roster .dropdown--contacts").getByRole("button", { name: "Menu" }).click();
    await this.page.locator("#converse-roster a.add-contact").click();
    const dialog = this.page.locator("converse-add-contact-modal form.add-xmpp-contact");
    await dialog.locator("input[name='jid']").fill(bare);
    await dialog.locator("input[name='name']").fill(name);
    await dialog.getByRole("button", { name: "Add", exact: true }).click();
  }

  /** Accepts a pending contact request through the roster menu and the request dialog. */
  async acceptContactRequest(bare: string, name: string): Promise<void> {
    const row = this.page.locator("#converse-roster li.requesting-xmpp-contact").filter({ has: this.page.locator(`a[data-jid="${bare}"]`) });
    await row.waitFor({ timeout: 10_000 });
    await row.getByRole("button", { name: "Menu" }).click();
    // (its accessible name is a long aria-label, so the class is the stable handle)
    await row.locator("a.accept-xmpp-request").click();
    const dialog = this.page.locator("converse-accept-contact-request-modal");
    await dialog.locator("#jid-display", { hasText: bare }).waitFor();
    await dialog.locator("input[name='name']").fill(name);
    await dialog.getByRole("button", { name: "Accept", exact: true }).click();
  }

  /** Opens the chat with a contact by clicking it in the roster. */
  async openChat(bare: string): Promise<void> {
    await this.contact(bare).locator("a.open-chat").click();
    await this.chat(bare).locator("textarea.chat-textarea").waitFor();
  }

  /** Types a message in the open chat and sends it with Enter. */
  async say(bare: string, text: string): Promise<void> {
    const box = this.chat(bare).locator("textarea.chat-textarea");
    await box.fill(text);
    await box.press("Enter");
  }

  /** Logs out through the profile dialog (as a user would), and waits for the login form. */
  async logOut(): Promise<void> {
    await this.page.locator("converse-user-profile a.show-profile").click();
    await this.page.locator("converse-profile-modal").getByRole("button", { name: "Log out" }).click();
    await this.page.getByRole("button", { name: "Confirm" }).click();
    await this.loginForm().waitFor({ timeout: 10_000 });
  }

  loginForm(): Locator {
    return this.page.locator("converse-login-form form, form.converse-form").filter({ has: this.page.locator("input[name='password']") });
  }

  /** Logs in through the login form. */
  async logIn(jid: string, password: string): Promise<void> {
    const form = this.loginForm();
    await form.locator("input[name='jid']").fill(jid);
    await form.locator("input[name='password']").fill(password);
    await form.getByRole("button", { name: "Log in" }).click();
  }

  /** Waits for a frame matching `pred` (also one already recorded), from index `from` on. */
  async frame(pred: (f: Frame) => boolean, opts: { timeout?: number; from?: number } = {}): Promise<Frame> {
    const deadline = Date.now() + (opts.timeout ?? 10_000);
    for (;;) {
      const f = this.frames.slice(opts.from ?? 0).find(pred);
      if (f) return f;
      if (Date.now() > deadline) {
        const tail = this.frames.slice(-25).map((x) => `${x.dir === "in" ? "<<" : ">>"} ${x.text}`);
        throw new Error(`no matching WebSocket frame; last frames:\n${tail.join("\n")}`);
      }
      await sleep(50);
    }
  }

  /** The bound full JID of the latest session (from the bind result the gateway sent). */
  boundJid(from = 0): string | undefined {
    const binds = this.frames
      .slice(from)
      .filter((f) => f.dir === "in" && f.el?.getName() === "iq")
      .map((f) => f.el?.getChild("bind", "urn:ietf:params:xml:ns:xmpp-bind")?.getChildText("jid"))
      .filter((j): j is string => typeof j === "string");
    return binds.at(-1);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
