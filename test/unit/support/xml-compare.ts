// Comparing stanzas as a namespace-aware peer reads them: resolved namespaces, attributes
// sorted, whitespace-only text dropped; and running a store inside an account's object.
import { expect } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { type Element, parse } from "ltx";

/** Resolved-namespace form of an element, attributes sorted, whitespace-only text dropped. */
export function canon(el: Element): string {
  const attrs = Object.entries(el.attrs).filter(([k]) => k !== "xmlns" && !k.startsWith("xmlns:"))
    .sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ` ${k}="${String(v)}"`).join("");
  const kids = el.children.map((c) => (typeof c === "string" ? c.trim() : canon(c))).filter((s) => s !== "").join("");
  return `<{${el.getNS()}}${el.getName()}${attrs}>${kids}</>`;
}

export const same = (a: Element, b: string) => expect(canon(a)).toBe(canon(parse(b)));

const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
/** The stanza error condition of an error stanza, or null. */
export const errorOf = (el: Element) => (el.attrs.type === "error" ? el.getChild("error")!.getChildElements().find((c) => c.getNS() === STANZAS)!.getName() : null);

let n = 0;
/** Runs `f` with a store made over a fresh account object's SQLite (`owner` at `domain`). */
export async function withStore<S, T>(prefix: string, domain: string, make: (sql: SqlStorage) => S, f: (store: S, owner: string) => T): Promise<T> {
  const owner = `${prefix}${Date.now().toString(36)}${n++}@${domain}`;
  return runInDurableObject(env.ACCOUNT.getByName(owner), async (_obj, state) => f(make(state.storage.sql), owner));
}
