// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, locked to
// 127.0.0.1: every HTTP(S) request to another host is aborted and DNS for any other
// name fails, so a Converse asset or lookup that would need the internet shows up as
// an error instead of a hang.
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export type { Browser, BrowserContext, Page };

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface LaunchedBrowser {
  browser: Browser;
  /** Requests that were blocked because they left 127.0.0.1. */
  blocked: string[];
  /** A fresh context (its own cookies and IndexedDB: a first visit) with the network lock. */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  // No --user-data-dir here: playwright refuses it in launch() because it always
  // passes a fresh temporary profile directory of its own (and removes it on close).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
  const blocked: string[] = [];
  return {
    browser,
    blocked,
    async newContext() {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.route(
        (url) => url.hostname !== "127.0.0.1",
        async (route) => {
          blocked.push(route.request().url());
          await route.abort("blockedbyclient");
        },
      );
      return context;
    },
    async close() {
      await browser.close();
    },
  };
}
