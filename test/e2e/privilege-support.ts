// Shared bits of the XEP-0356 end-to-end tests (test/e2e/privilege-*.test.ts): the virtual
// host priv.localhost and its privileged entities (support/config.ts), connections that
// are always closed after each test so that no test sees another's online users.
import { afterEach } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { online } from "./support/im";
import { RawXmpp, type Element } from "./support/raw-client";

export const HOST = "priv.localhost";
export const PRIV = "urn:xmpp:privilege:2";
export const FORWARD = "urn:xmpp:forward:0";
export const COMP = { jid: "priv.comp.localhost", secret: "priv-secret" };
export const NONE = { jid: "privnone.comp.localhost", secret: "privnone-secret" };
export const RO = { jid: "privro.comp.localhost", secret: "privro-secret" };
export const ECHO = { jid: "echo.comp.localhost", secret: "echo-secret" };

const open: RawXmpp[] = [];

/** Closes every connection a test opened, and waits a moment for unavailable presences to settle. */
export function closeAfterEach(): void {
  afterEach(async () => {
    const all = open.splice(0);
    for (const c of all) c.close();
    await Promise.all(all.map((c) => Promise.race([c.closed, new Promise((r) => setTimeout(r, 2000))])));
    await new Promise((r) => setTimeout(r, 200));
  });
}

export function track<T extends RawXmpp>(c: T): T {
  open.push(c);
  return c;
}

/** A component connection; with `advertised`, the advertisement message is consumed first. */
export async function component(who: { jid: string; secret: string }, advertised = true): Promise<RawXmpp & { adv?: Element }> {
  const c = track(await RawXmpp.component(gatewayUrl(), who.jid, who.secret));
  if (!advertised) return c;
  const adv = await c.next(isAdvertisement);
  return Object.assign(c, { adv });
}

export const isAdvertisement = (el: Element) => el.getName() === "message" && el.getChild("privilege", PRIV) !== undefined;

/** A fresh account at priv.localhost (or `domain`). */
export async function newUser(prefix: string, domain = HOST): Promise<{ name: string; bare: string }> {
  const name = uniqueName(prefix);
  await createUser(`${name}@${domain}`);
  return { name, bare: `${name}@${domain}` };
}

/** Logs a user in with roster fetched and initial presence sent (see support/im.ts online()). */
export async function onlineUser(name: string, resource = "r", opts: { domain?: string; show?: string; roster?: boolean } = {}) {
  return track(await online(gatewayUrl(), name, resource, { domain: opts.domain ?? HOST, show: opts.show, roster: opts.roster }));
}

/** Logs a user in without presence. */
export async function loginUser(name: string, resource = "r", domain = HOST) {
  return track(await RawXmpp.login(gatewayUrl(), { username: name, resource, domain }));
}

/** The configured user account entity `local@priv.localhost`, created with a password. */
export async function entityUser(local: string): Promise<string> {
  const bare = `${local}@${HOST}`;
  await createUser(bare);
  return bare;
}

/** The element inside <privilege><forwarded/> of a wrapped answer. */
export function forwardedOf(el: Element): Element | undefined {
  const f = el.getChild("privilege", PRIV)?.getChild("forwarded", FORWARD);
  return f?.children.find((c): c is Element => typeof c !== "string");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
