// The configuration every end-to-end gateway runs with (unless a test overrides a var).
// Plain object literals on purpose: other test files edit the priv/deleg hosts.

export const ADMIN_TOKEN = "e2e-admin-token";

/** COMPONENT_SECRETS: component JID → handshake secret (XEP-0114). */
export const COMPONENT_SECRETS: Record<string, string> = {
  "pubsub.localhost": "pubsub-secret",
  "comp.localhost": "comp-secret",
  "priv.comp.localhost": "priv-secret",
  // XEP-0356 refusal cases (test/e2e/privilege-*.test.ts).
  "privnone.comp.localhost": "privnone-secret",
  "privro.comp.localhost": "privro-secret",
  "echo.comp.localhost": "echo-secret",
  "deleg.comp.localhost": "deleg-secret",
  // The bound on the presences a mailbox remembers (hardening-bounds.test.ts).
  "presence.comp.localhost": "presence-secret",
};

/** XMPP_CONFIG, passed as JSON with --var. */
export const E2E_CONFIG = {
  hosts: {
    // The CONTRACT.md example configuration.
    localhost: {
      registration: false,
      privileged_entities: {
        "pubsub.localhost": {
          roster: "both",
          message: "outgoing",
          presence: "roster",
          iq: { "http://jabber.org/protocol/pubsub": "set" },
        },
        "romeo@localhost": { roster: "get", presence: "managed_entity" },
      },
      delegations: {
        "urn:xmpp:mam:2": { jid: "pubsub.localhost", filtering: ["node"] },
        "http://jabber.org/protocol/pubsub": { jid: "pubsub.localhost" },
        "urn:xmpp:delegation:2:bare:disco#info:*": { jid: "pubsub.localhost" },
        "urn:xmpp:delegation:2:bare:disco#items:*": { jid: "pubsub.localhost" },
      },
    },
    // XEP-0077 in-band registration enabled.
    "reg.localhost": { registration: true },
    // Hosts for the XEP-0356 and XEP-0355 end-to-end tests.
    "priv.localhost": {
      privileged_entities: {
        "priv.comp.localhost": {
          roster: "both",
          message: "outgoing",
          presence: "roster",
          iq: {
            "urn:xmpp:ping": "get",
            "jabber:iq:version": "get",
            "jabber:iq:roster": "both",
            "http://jabber.org/protocol/pubsub": "both",
            "http://jabber.org/protocol/pubsub#owner": "set",
            "urn:example:denied": "none",
            "urn:example:delegated": "both",
          },
        },
        "privnone.comp.localhost": { roster: "none", message: "none", presence: "none", iq: {} },
        "privro.comp.localhost": { roster: "get", push: false, presence: "managed_entity", iq: { "urn:xmpp:ping": "get" } },
        // User account entities (each test file uses its own).
        "ent-roster@priv.localhost": { roster: "both", presence: "managed_entity" },
        "ent-msg@priv.localhost": { message: "outgoing", iq: { "urn:xmpp:ping": "get" } },
        "ent-none@priv.localhost": { roster: "none" },
      },
      // XEP-0355: an inner privileged IQ in this namespace goes to echo.comp.localhost (privilege-iq.test.ts).
      delegations: { "urn:example:delegated": { jid: "echo.comp.localhost" } },
    },
    // XEP-0355 (test/e2e/delegation-*.test.ts): a PEP component, as in the README ("XEP-0355 namespace delegation"),
    // and client mode for the namespaces delegation-client.test.ts asks for.
    "deleg.localhost": {
      client_delegation: ["vcard-temp", "jabber:iq:private"],
      delegations: {
        "http://jabber.org/protocol/pubsub": { jid: "deleg.comp.localhost" },
        "http://jabber.org/protocol/pubsub#owner": { jid: "deleg.comp.localhost" },
        "urn:xmpp:mam:2": { jid: "deleg.comp.localhost", filtering: ["node"] },
        "urn:xmpp:delegation:2:bare:disco#info:*": { jid: "deleg.comp.localhost" },
        "urn:xmpp:delegation:2:bare:disco#items:*": { jid: "deleg.comp.localhost" },
      },
    },
    // A host without users whose `roster` grant makes presence.comp.localhost remember the
    // last presence of any full JID sent to it (hardening-bounds.test.ts fills that table).
    "bounds.localhost": {
      privileged_entities: { "presence.comp.localhost": { roster: "get", presence: "roster" } },
    },
  },
  components: {
    "pubsub.localhost": {},
    "comp.localhost": {},
    "priv.comp.localhost": {},
    "privnone.comp.localhost": {},
    "privro.comp.localhost": {},
    "echo.comp.localhost": {},
    "deleg.comp.localhost": {},
    "presence.comp.localhost": {},
  },
  limits: {
    max_stanza_size: 262144,
    rate_per_second: 200,
    burst: 1000,
    auth_failures_before_delay: 1000,
  },
};
