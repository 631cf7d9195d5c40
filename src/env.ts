// The Worker's bindings. The namespaces are untyped here on purpose: modules reach
// the objects through the ports of ./ports (built in ./ports/from-env.ts), so
// nothing under src/ depends on a Durable Object class.
export interface Env {
  /** One object per WebSocket connection (client or component): framing, SASL, the socket. */
  SESSION: DurableObjectNamespace;
  /** One object per account (bare JID): credentials, roster, resources, offline messages. */
  ACCOUNT: DurableObjectNamespace;
  /** One object per component JID: its connection, privilege and delegation bookkeeping. */
  COMPONENT: DurableObjectNamespace;
  /** One object per host: the directory of online accounts (not on the message path). */
  HOST: DurableObjectNamespace;
  /** Authentication failure counters per client address. */
  THROTTLE: DurableObjectNamespace;
  /** Workers static assets ([assets] in wrangler.toml): the pages' scripts and Converse.js. */
  ASSETS?: Fetcher;
  XMPP_CONFIG?: unknown;
  COMPONENT_SECRETS?: unknown;
  ADMIN_TOKEN?: unknown;
}
