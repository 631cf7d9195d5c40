// A feature is a module that owns a protocol end to end: it registers its handlers in
// the table (origin stage: `pre-` events; account stage: plain events), its part of
// what happens around accounts and components, and its disco features. The
// composition root (./index.ts) lists the features; nothing else knows them.
import type { GatewayConfig, HostConfig } from "../config";
import type { RouteContext, Services } from "../pipeline/context";
import type { Element } from "../xml/stanza";
import type { Handler } from "../pipeline/handler-table";
import type { Account, AccountEvents } from "../im/account";
import type { AccountContext } from "../im/account-context";
import type { ComponentEvents, ComponentMailbox } from "../component/mailbox";

/** Priorities used across features (higher runs first). */
export const PRIORITY = {
  /** Checks that refuse a stanza before anyone acts on it (misaddressed privileged IQs). */
  guard: 200,
  /** XEP-0355: a delegated namespace is taken before the server's own handlers. */
  delegation: 100,
  /** The feature that owns the payload. */
  handler: 0,
  /** Default delivery to the destination's object. */
  delivery: -100,
} as const;

export interface Registry {
  readonly config: GatewayConfig;
  /** An origin-stage handler (event names start with `pre-`). */
  route(event: `pre-${string}`, handler: Handler<RouteContext>, priority?: number): void;
  /** An account-stage handler. */
  account(event: string, handler: Handler<AccountContext>, priority?: number): void;
  /** Joins in what happens in an account. */
  accountEvents(events: Partial<AccountEvents>): void;
  /** Joins in what happens around a component's connection. */
  componentEvents(events: Partial<ComponentEvents>): void;
  /** Work due on the account object's alarm (each feature finds its own due items and reschedules). */
  accountAlarm(fn: (account: Account) => Promise<void>): void;
  /** Work due on the component mailbox's alarm. */
  componentAlarm(fn: (mailbox: ComponentMailbox) => Promise<void>): void;
  /** Clean-up when an account is deleted (after its sessions closed, before its storage is wiped). */
  accountDeleted(fn: (account: Account) => Promise<void>): void;
  /** disco#info features this feature adds to a host's or an account's answer. */
  disco(where: "host" | "account", features: (host: HostConfig) => string[]): void;
  /** A rewrite of a host's or an account's disco#info answer (after the features are in). */
  discoExtension(where: "host" | "account", extend: (host: HostConfig, query: Element, services: Services) => Promise<Element>): void;
}

export interface Feature {
  readonly name: string;
  register(registry: Registry): void;
}
