// What a handler sees of a stanza: parsed once, `from` trusted, `to` parsed and
// classified once. The origin stage (`pre-` events) runs in the object where the
// stanza arose: a client's or a component's connection, or an account acting on its
// own (presence broadcast, privileged IQs). The account stage runs in the account
// object of the destination (src/im/account-context.ts adds the account there).
import type { GatewayConfig, HostConfig } from "../config";
import type { Jid } from "../jid/jid";
import type { Ports } from "../ports/ports";
import type { Element } from "../xml/stanza";
import type { Destination, DestinationKind } from "./classify";
import type { HandlerTable } from "./handler-table";

/** What features add to disco#info answers (XEP-0030): static features and merges. */
export interface DiscoContributions {
  features(where: "host" | "account", host: HostConfig): string[];
  /** Lets features rewrite an answer (e.g. XEP-0355 disco nesting merges a component's answer). */
  extend(where: "host" | "account", host: HostConfig, query: Element, services: Services): Promise<Element>;
}

/** What every stage needs: the configuration, the other objects, the origin-stage table. */
export interface Services {
  readonly config: GatewayConfig;
  readonly ports: Ports;
  readonly routes: HandlerTable<RouteContext>;
  readonly disco: DiscoContributions;
  /** Whether a component's stanza must pass the component's mailbox (features decide). */
  mailboxTakes(stanza: Element): boolean;
  /** Keeps the object alive until `p` settles (work after the answer). */
  waitUntil(p: Promise<unknown>): void;
}

/** Where a stanza arose. */
export type Origin =
  /** A bound client resource; `session` is its connection object. */
  | { kind: "client"; bare: string; resource: string; full: string; host: string; session: string }
  /** An authenticated component; its own mailbox object is `mailbox` when the stanza is routed there. */
  | { kind: "component"; jid: string }
  /** An account acting itself (e.g. an IQ sent on the user's behalf, XEP-0356 §4.4);
   *  `receive` hands a stanza to the account in place, without an RPC to itself. */
  | { kind: "account"; bare: string; receive(stanza: Element): Promise<string[]> }
  /** The server (a host's own stanzas: advertisements, delegation answers, pushes). */
  | { kind: "server" };

export interface RouteContext {
  readonly services: Services;
  readonly origin: Origin;
  /** The stanza, `from` stamped. Handlers may change it only when they take it. */
  readonly stanza: Element;
  readonly name: "message" | "presence" | "iq";
  readonly type: string | undefined;
  readonly from: Jid;
  /** The parsed `to`; null only when the stanza has none. */
  readonly to: Jid | null;
  readonly dest: Destination;
  readonly kind: DestinationKind;
  /** The host of the destination (host, account) or null (component, remote). */
  readonly host: HostConfig | null;
  /** For an IQ get/set: its single payload element (null when it has none or several). */
  readonly payload: Element | null;
  /** Answers the sender (errors, immediate IQ results). */
  reply(stanza: Element | string): void;
}
