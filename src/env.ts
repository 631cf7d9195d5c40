// The Worker's bindings, shared by the Worker entry and every Durable Object.
import type { SessionObject } from "../durable-objects/session";
import type { AccountObject } from "../durable-objects/account";
import type { ComponentRouter } from "../durable-objects/component-router";
import type { ThrottleObject } from "../durable-objects/throttle";
import type { HostObject } from "../durable-objects/host";

export interface Env {
  /** One object per WebSocket connection (client or component): framing, SASL, the socket. */
  SESSION: DurableObjectNamespace<SessionObject>;
  /** One object per account (bare JID): credentials, roster, resources, offline messages. */
  ACCOUNT: DurableObjectNamespace<AccountObject>;
  /** One object per component JID: its connection, privilege and delegation bookkeeping. */
  COMPONENT: DurableObjectNamespace<ComponentRouter>;
  /** One object per host: the directory of online accounts (not on the message path). */
  HOST: DurableObjectNamespace<HostObject>;
  /** Authentication failure counters per client address. */
  THROTTLE: DurableObjectNamespace<ThrottleObject>;
  /** Workers static assets ([assets] in wrangler.toml): the pages' scripts and Converse.js. */
  ASSETS?: Fetcher;
  XMPP_CONFIG?: unknown;
  COMPONENT_SECRETS?: unknown;
  ADMIN_TOKEN?: unknown;
}
