// Configuration parsing and validation (src/config).
// References: CONTRACT.md "Configuration"; XEP-0356 §Server roster, §Roster presence;
// XEP-0355 §Business rules 5.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  componentFor,
  componentSecret,
  hostOf,
  isComponent,
  loadConfig,
  parseConfig,
  redactConfig,
  type GatewayConfig,
  type GatewayEnvVars,
} from "../../src/config";

const PUBSUB_NS = "http://jabber.org/protocol/pubsub";

/** The CONTRACT.md example, verbatim. */
function example() {
  return {
    hosts: {
      localhost: {
        registration: false,
        privileged_entities: {
          "pubsub.localhost": {
            roster: "both",
            message: "outgoing",
            presence: "roster",
            iq: { [PUBSUB_NS]: "set" },
          },
          "romeo@localhost": { roster: "get", presence: "managed_entity" },
        } as Record<string, Record<string, unknown>>,
        delegations: {
          "urn:xmpp:mam:2": { jid: "pubsub.localhost", filtering: ["node"] },
          [PUBSUB_NS]: { jid: "pubsub.localhost" },
          "urn:xmpp:delegation:2:bare:disco#info:*": { jid: "pubsub.localhost" },
          "urn:xmpp:delegation:2:bare:disco#items:*": { jid: "pubsub.localhost" },
        } as Record<string, Record<string, unknown>>,
      } as Record<string, unknown>,
    } as Record<string, unknown>,
    components: { "pubsub.localhost": {} } as Record<string, unknown>,
  } as Record<string, unknown> & {
    hosts: Record<string, unknown>;
    components: Record<string, unknown>;
  };
}

type Example = ReturnType<typeof example>;
type HostIn = {
  registration?: unknown;
  privileged_entities: Record<string, Record<string, unknown>>;
  delegations: Record<string, Record<string, unknown>>;
} & Record<string, unknown>;

/** The example with `edit` applied to its "localhost" host. */
function withHost(edit: (host: HostIn, cfg: Example) => void): Example {
  const cfg = example();
  edit(cfg.hosts.localhost as HostIn, cfg);
  return cfg;
}

const EXPECTED_EXAMPLE: GatewayConfig = {
  hosts: {
    localhost: {
      domain: "localhost",
      registration: false,
      privileged: {
        "pubsub.localhost": {
          entity: "pubsub.localhost",
          roster: "both",
          push: true,
          message: "outgoing",
          presence: "roster",
          iq: { [PUBSUB_NS]: "set" },
        },
        "romeo@localhost": {
          entity: "romeo@localhost",
          roster: "get",
          push: true, // XEP-0356: push defaults to true for "get" too
          message: "none",
          presence: "managed_entity",
          iq: {},
        },
      },
      delegations: {
        "urn:xmpp:mam:2": { namespace: "urn:xmpp:mam:2", jid: "pubsub.localhost", filtering: ["node"] },
        [PUBSUB_NS]: { namespace: PUBSUB_NS, jid: "pubsub.localhost", filtering: [] },
        "urn:xmpp:delegation:2:bare:disco#info:*": {
          namespace: "urn:xmpp:delegation:2:bare:disco#info:*",
          jid: "pubsub.localhost",
          filtering: [],
        },
        "urn:xmpp:delegation:2:bare:disco#items:*": {
          namespace: "urn:xmpp:delegation:2:bare:disco#items:*",
          jid: "pubsub.localhost",
          filtering: [],
        },
      },
      clientDelegation: [],
    },
  },
  components: { "pubsub.localhost": { jid: "pubsub.localhost", hasSecret: false } },
  limits: { maxStanzaSize: 262144, ratePerSecond: 50, burst: 200, authFailuresBeforeDelay: 3, componentRatePerSecond: 5000, componentBurst: 20_000, maxRosterItems: 5000 },
  delegationTimeoutMs: 30000,
  webClient: true,
  archive: { retentionDays: 7, maxMessages: 10_000 },
  streamManagement: { resumeWindow: 300, maxQueue: 500 },
  adminToken: null,
};

function thrown(envVars: GatewayEnvVars): ConfigError {
  try {
    parseConfig(envVars);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("parseConfig did not throw");
}

/** Asserts the exact key path and, when given, the exact message. */
function expectError(config: unknown, key: string, reason?: string, more: GatewayEnvVars = {}) {
  const e = thrown({ XMPP_CONFIG: config, ...more });
  expect(e.key).toBe(key);
  expect(e.message.startsWith(`${key}: `)).toBe(true);
  if (reason !== undefined) expect(e.message).toBe(`${key}: ${reason}`);
  return e;
}

const H = 'XMPP_CONFIG.hosts["localhost"]';
const PUBSUB = `${H}.privileged_entities["pubsub.localhost"]`;
const ROMEO = `${H}.privileged_entities["romeo@localhost"]`;

describe("the CONTRACT.md example", () => {
  it("parses from an object (a TOML table) to the expected values", () => {
    expect(parseConfig({ XMPP_CONFIG: example() })).toEqual(EXPECTED_EXAMPLE);
  });

  it("parses from a JSON string to the same values", () => {
    expect(parseConfig({ XMPP_CONFIG: JSON.stringify(example()) })).toEqual(EXPECTED_EXAMPLE);
  });

  it("parses from wrangler.toml [vars] with the test secrets", () => {
    const vars = env as GatewayEnvVars;
    const r = loadConfig(vars);
    if (!r.ok) throw new Error(r.error);
    expect(r.config.hosts).toEqual(EXPECTED_EXAMPLE.hosts);
    expect(r.config.components).toEqual({
      "pubsub.localhost": { jid: "pubsub.localhost", hasSecret: true },
    });
    expect(r.config.adminToken).toBe("test-admin-token");
    expect(componentSecret(vars, "pubsub.localhost")).toBe("pubsub-secret");
  });

  it("is deeply frozen", () => {
    const c = parseConfig({ XMPP_CONFIG: example() });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.hosts.localhost.privileged["pubsub.localhost"].iq)).toBe(true);
    expect(Object.isFrozen(c.hosts.localhost.delegations["urn:xmpp:mam:2"].filtering)).toBe(true);
    expect(() => {
      (c.limits as { burst: number }).burst = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.hosts.localhost.delegations["urn:xmpp:mam:2"].filtering as string[]).push("x");
    }).toThrow(TypeError);
  });

  it("does not let Object.prototype members pass for hosts, delegations or components", () => {
    const c = parseConfig({ XMPP_CONFIG: example() });
    expect(c.hosts.localhost.delegations["constructor"]).toBeUndefined();
    expect(c.hosts.localhost.privileged["toString"]).toBeUndefined();
    expect(c.hosts.localhost.privileged["pubsub.localhost"].iq["hasOwnProperty"]).toBeUndefined();
    expect(hostOf(c, "constructor")).toBeUndefined();
    expect(isComponent(c, "toString")).toBe(false);
    expect(componentFor(c, "__proto__")).toBeUndefined();
  });
});

describe("names", () => {
  it("lower-cases domains and bare JIDs and strips a trailing dot", () => {
    const cfg = {
      hosts: {
        "LocalHost.": {
          privileged_entities: {
            "PubSub.LocalHost": { roster: "get" },
            "Romeo@LOCALHOST": { message: "outgoing" },
          },
          delegations: { [PUBSUB_NS]: { jid: "PUBSUB.localhost" } },
        },
      },
      components: { "pubsub.LOCALHOST": {} },
    };
    const c = parseConfig({ XMPP_CONFIG: cfg });
    expect(Object.keys(c.hosts)).toEqual(["localhost"]);
    expect(c.hosts.localhost.domain).toBe("localhost");
    expect(Object.keys(c.hosts.localhost.privileged)).toEqual(["pubsub.localhost", "romeo@localhost"]);
    expect(c.hosts.localhost.privileged["romeo@localhost"].entity).toBe("romeo@localhost");
    expect(c.hosts.localhost.delegations[PUBSUB_NS].jid).toBe("pubsub.localhost");
    expect(Object.keys(c.components)).toEqual(["pubsub.localhost"]);
  });

  it("refuses two keys that are the same domain once lower-cased", () => {
    expectError(
      { hosts: { localhost: {}, LOCALHOST: {} } },
      'XMPP_CONFIG.hosts["LOCALHOST"]',
      'names the same domain as XMPP_CONFIG.hosts["localhost"]',
    );
    const cfg = example();
    cfg.components["PUBSUB.localhost"] = {};
    expectError(cfg, 'XMPP_CONFIG.components["PUBSUB.localhost"]', 'names the same domain as XMPP_CONFIG.components["pubsub.localhost"]');
    expectError(
      withHost((h) => {
        h.privileged_entities["ROMEO@localhost"] = {};
      }),
      `${H}.privileged_entities["ROMEO@localhost"]`,
      `names the same entity as ${H}.privileged_entities["romeo@localhost"]`,
    );
  });

  it.each(["", "-bad.localhost", "bad-.localhost", "a..b", "under_score.localhost", "exa mple", `${"x".repeat(64)}.com`, "café.example", "a@b", "."])(
    "refuses host domain %j",
    (domain) => {
      const e = expectError({ hosts: { [domain]: {} } }, `XMPP_CONFIG.hosts[${JSON.stringify(domain)}]`);
      expect(e.reason).toMatch(/^is not a valid domain name/);
    },
  );

  it("accepts a 63-character label and refuses a 254-character domain", () => {
    const label63 = "a".repeat(63);
    expect(Object.keys(parseConfig({ XMPP_CONFIG: { hosts: { [`${label63}.org`]: {} } } }).hosts)).toEqual([`${label63}.org`]);
    const long = `${label63}.${label63}.${label63}.${"b".repeat(62)}`; // 254 characters
    expect(long.length).toBe(254);
    expectError({ hosts: { [long]: {} } }, `XMPP_CONFIG.hosts[${JSON.stringify(long)}]`);
  });

  it("refuses a privileged entity with a resource or a bad localpart", () => {
    const cases: Array<[string, string]> = [
      ["romeo@localhost/phone", "must be a bare JID or a component domain (no resource)"],
      ["pubsub.localhost/x", "must be a bare JID or a component domain (no resource)"],
      ["@localhost", "is not a valid bare JID (bad localpart)"],
      ["ro meo@localhost", "is not a valid bare JID (bad localpart)"],
      ["ro<meo@localhost", "is not a valid bare JID (bad localpart)"],
      ["a@b@localhost", "is not a valid domain name (dot-separated labels of letters, digits and hyphens, e.g. \"localhost\" or \"pubsub.example.org\")"],
    ];
    for (const [key, reason] of cases) {
      expectError(
        withHost((h) => {
          h.privileged_entities[key] = {};
        }),
        `${H}.privileged_entities[${JSON.stringify(key)}]`,
        reason,
      );
    }
  });

  it("refuses a privileged user of an unknown host and a privileged component not in components", () => {
    expectError(
      withHost((h) => {
        h.privileged_entities["juliet@capulet.example"] = {};
      }),
      `${H}.privileged_entities["juliet@capulet.example"]`,
      'is not an account of a configured host ("capulet.example")',
    );
    expectError(
      withHost((h) => {
        h.privileged_entities["muc.localhost"] = {};
      }),
      `${H}.privileged_entities["muc.localhost"]`,
      "is not a configured component (add it to XMPP_CONFIG.components)",
    );
  });

  it("accepts a privileged user of another configured host", () => {
    const cfg = withHost((h, c) => {
      h.privileged_entities["admin@example.org"] = { roster: "get" };
      c.hosts["example.org"] = {};
    });
    const g = parseConfig({ XMPP_CONFIG: cfg }).hosts.localhost.privileged["admin@example.org"];
    expect(g).toEqual({ entity: "admin@example.org", roster: "get", push: true, message: "none", presence: "none", iq: {} });
  });

  it("refuses a component JID that is a host domain or not a domain", () => {
    const cfg = example();
    cfg.components.localhost = {};
    expectError(cfg, 'XMPP_CONFIG.components["localhost"]', "is also a configured host; a component needs its own domain");
    const cfg2 = example();
    cfg2.components["bot@localhost"] = {};
    expectError(cfg2, 'XMPP_CONFIG.components["bot@localhost"]', 'must be a component JID (a bare domain, no "@" or "/")');
  });
});

describe("privileges (XEP-0356)", () => {
  function grant(g: Record<string, unknown>) {
    const cfg = withHost((h) => {
      h.privileged_entities["pubsub.localhost"] = g;
    });
    return parseConfig({ XMPP_CONFIG: cfg }).hosts.localhost.privileged["pubsub.localhost"];
  }

  it("defaults every access to none and push to false", () => {
    expect(grant({})).toEqual({ entity: "pubsub.localhost", roster: "none", push: false, message: "none", presence: "none", iq: {} });
  });

  it("resolves the push default: true for get/both, false for none/set", () => {
    expect(grant({ roster: "get" }).push).toBe(true);
    expect(grant({ roster: "both" }).push).toBe(true);
    expect(grant({ roster: "set" }).push).toBe(false);
    expect(grant({ roster: "none" }).push).toBe(false);
    expect(grant({ roster: "both", push: false }).push).toBe(false);
    expect(grant({ roster: "get", push: true }).push).toBe(true);
    expect(grant({ roster: "set", push: false }).push).toBe(false);
  });

  it("refuses push: true with roster none or set", () => {
    for (const roster of ["none", "set"]) {
      expectError(
        withHost((h) => {
          h.privileged_entities["pubsub.localhost"] = { roster, push: true };
        }),
        `${PUBSUB}.push`,
        `true needs roster access "get" or "both" (XEP-0356 §Server roster: no pushes for "${roster}")`,
      );
    }
    // roster omitted means "none"
    expectError(
      withHost((h) => {
        h.privileged_entities["romeo@localhost"] = { push: true };
      }),
      `${ROMEO}.push`,
    );
  });

  it("refuses presence \"roster\" without roster read access", () => {
    for (const roster of [undefined, "none", "set"]) {
      expectError(
        withHost((h) => {
          h.privileged_entities["pubsub.localhost"].roster = roster;
        }),
        `${PUBSUB}.presence`,
        '"roster" needs roster access "get" or "both" (XEP-0356 §Roster presence)',
      );
    }
    expect(grant({ roster: "get", presence: "roster" }).presence).toBe("roster");
  });

  it("keeps iq grants including none", () => {
    expect(grant({ iq: { a: "get", b: "set", c: "both", d: "none" } }).iq).toEqual({ a: "get", b: "set", c: "both", d: "none" });
  });

  it("refuses values outside the XEP-0356 enumerations", () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ roster: "all" }, `${PUBSUB}.roster`, 'must be one of "none", "get", "set", "both" (got "all")'],
      [{ roster: true }, `${PUBSUB}.roster`, 'must be one of "none", "get", "set", "both" (got true)'],
      [{ message: "incoming" }, `${PUBSUB}.message`, 'must be one of "none", "outgoing" (got "incoming")'],
      [{ presence: "all" }, `${PUBSUB}.presence`, 'must be one of "none", "managed_entity", "roster" (got "all")'],
      [{ iq: { [PUBSUB_NS]: "write" } }, `${PUBSUB}.iq["${PUBSUB_NS}"]`, 'must be one of "none", "get", "set", "both" (got "write")'],
      [{ iq: { "": "get" } }, `${PUBSUB}.iq[""]`, "a namespace must be a non-empty string"],
      [{ iq: { "a b": "get" } }, `${PUBSUB}.iq["a b"]`, "a namespace must not contain white space"],
      [{ iq: ["x"] }, `${PUBSUB}.iq`, "must be an object (a TOML table), got an array"],
      [{ push: "yes", roster: "get" }, `${PUBSUB}.push`, 'must be true or false (got "yes")'],
    ];
    for (const [g, key, reason] of cases) {
      expectError(
        withHost((h) => {
          h.privileged_entities["pubsub.localhost"] = g;
        }),
        key,
        reason,
      );
    }
  });
});

describe("delegations (XEP-0355)", () => {
  function delegationError(ns: string, d: unknown, key: string, reason: string) {
    expectError(
      withHost((h) => {
        h.delegations[ns] = d as Record<string, unknown>;
      }),
      key,
      reason,
    );
  }
  const D = `${H}.delegations`;

  it("refuses delegating urn:xmpp:delegation:2 itself but accepts the pseudo-namespaces", () => {
    delegationError(
      "urn:xmpp:delegation:2",
      { jid: "pubsub.localhost" },
      `${D}["urn:xmpp:delegation:2"]`,
      "urn:xmpp:delegation:2 itself MUST NOT be delegated (XEP-0355 §Business rules)",
    );
    const cfg = withHost((h) => {
      h.delegations["urn:xmpp:delegation:2::urn:example"] = { jid: "pubsub.localhost" };
    });
    expect(parseConfig({ XMPP_CONFIG: cfg }).hosts.localhost.delegations["urn:xmpp:delegation:2::urn:example"].jid).toBe("pubsub.localhost");
  });

  it("refuses empty and white-space namespaces", () => {
    delegationError("", { jid: "pubsub.localhost" }, `${D}[""]`, "a namespace must be a non-empty string");
    delegationError(" urn:x", { jid: "pubsub.localhost" }, `${D}[" urn:x"]`, "a namespace must not contain white space");
  });

  it("requires jid to be a configured component domain", () => {
    delegationError("urn:x", {}, `${D}["urn:x"].jid`, "is required (the managing component's JID)");
    delegationError("urn:x", { jid: 7 }, `${D}["urn:x"].jid`, "must be a string (got 7)");
    delegationError("urn:x", { jid: "other.localhost" }, `${D}["urn:x"].jid`, '"other.localhost" is not a configured component');
    delegationError("urn:x", { jid: "romeo@localhost" }, `${D}["urn:x"].jid`, 'must be a component JID (a bare domain, no "@" or "/")');
    delegationError("urn:x", { jid: "pubsub.localhost/r" }, `${D}["urn:x"].jid`, 'must be a component JID (a bare domain, no "@" or "/")');
    delegationError("urn:x", { jid: "localhost" }, `${D}["urn:x"].jid`, '"localhost" is not a configured component');
    delegationError("urn:x", "pubsub.localhost", `${D}["urn:x"]`, "must be an object (a TOML table), got a string");
  });

  it("checks filtering attributes", () => {
    delegationError("urn:x", { jid: "pubsub.localhost", filtering: "node" }, `${D}["urn:x"].filtering`, 'must be an array of attribute names (got "node")');
    delegationError("urn:x", { jid: "pubsub.localhost", filtering: ["node", ""] }, `${D}["urn:x"].filtering[1]`, "an attribute name must be a non-empty string");
    delegationError("urn:x", { jid: "pubsub.localhost", filtering: ["node", 3] }, `${D}["urn:x"].filtering[1]`, "must be a string (got 3)");
    delegationError("urn:x", { jid: "pubsub.localhost", filtering: ["node", "id", "node"] }, `${D}["urn:x"].filtering[2]`, 'duplicate attribute "node"');
    const cfg = withHost((h) => {
      h.delegations["urn:x"] = { jid: "pubsub.localhost", filtering: ["node", "id"] };
    });
    expect(parseConfig({ XMPP_CONFIG: cfg }).hosts.localhost.delegations["urn:x"]).toEqual({ namespace: "urn:x", jid: "pubsub.localhost", filtering: ["node", "id"] });
  });
});

describe("client_delegation (XEP-0355 client mode allowlist)", () => {
  const C = `${H}.client_delegation`;
  function clientError(list: unknown, key: string, reason: string) {
    expectError(
      withHost((h) => {
        h.client_delegation = list;
      }),
      key,
      reason,
    );
  }

  it("is empty (client mode off) by default, and keeps the listed namespaces in order, frozen", () => {
    expect(parseConfig({ XMPP_CONFIG: example() }).hosts.localhost.clientDelegation).toEqual([]);
    const c = parseConfig({
      XMPP_CONFIG: withHost((h) => {
        h.client_delegation = ["vcard-temp", "jabber:iq:private", "urn:xmpp:mam:2", PUBSUB_NS];
      }),
    });
    expect(c.hosts.localhost.clientDelegation).toEqual(["vcard-temp", "jabber:iq:private", "urn:xmpp:mam:2", PUBSUB_NS]);
    expect(Object.isFrozen(c.hosts.localhost.clientDelegation)).toBe(true);
  });

  it("accepts a namespace of exactly 256 characters and refuses 257", () => {
    const ns256 = `urn:x:${"a".repeat(250)}`;
    expect(ns256.length).toBe(256);
    expect(parseConfig({ XMPP_CONFIG: withHost((h) => void (h.client_delegation = [ns256])) }).hosts.localhost.clientDelegation).toEqual([ns256]);
    clientError([`${ns256}b`], `${C}[0]`, "must be at most 256 characters long (got 257)");
  });

  it("refuses what is not an array of namespace URIs", () => {
    clientError("vcard-temp", C, 'must be an array of namespaces (got "vcard-temp")');
    clientError({ "urn:x": true }, C, "must be an array of namespaces (got an object)");
    clientError(["urn:x", 5], `${C}[1]`, "must be a string (got 5)");
    clientError([""], `${C}[0]`, "must be a non-empty namespace");
    const notUri = 'must be a namespace URI (scheme:rest, printable ASCII, e.g. "urn:xmpp:mam:2")';
    clientError(["pubsub"], `${C}[0]`, notUri);
    clientError(["urn:a b"], `${C}[0]`, notUri);
    clientError(["urn:<x>"], `${C}[0]`, notUri);
    clientError(["1urn:x"], `${C}[0]`, notUri);
    clientError(["urn:"], `${C}[0]`, notUri);
    clientError(["urn:caf\u00e9"], `${C}[0]`, notUri);
    clientError(["urn:x", "urn:y", "urn:x"], `${C}[2]`, 'duplicate namespace "urn:x"');
  });

  it("never urn:xmpp:delegation:2, nor the other namespaces the server keeps", () => {
    clientError(
      ["urn:x", "urn:xmpp:delegation:2"],
      `${C}[1]`,
      "urn:xmpp:delegation:2 is kept by the server and cannot be delegated (XEP-0355 §Security 2, §Business rules 5)",
    );
    for (const ns of ["jabber:iq:roster", "jabber:iq:register", "urn:ietf:params:xml:ns:xmpp-bind", "urn:xmpp:privilege:2", "http://jabber.org/protocol/commands"]) {
      clientError([ns], `${C}[0]`, `${ns} is kept by the server and cannot be delegated (XEP-0355 §Security 2, §Business rules 5)`);
    }
  });
});

describe("unknown keys are refused at every level, by name", () => {
  const cases: Array<[string, (c: Example) => void, string, string]> = [
    ["top level", (c) => void (c.host = {}), "XMPP_CONFIG.host", "hosts, components, limits, delegation_timeout_ms, web_client, archive, stream_management"],
    ["host", (c) => void ((c.hosts.localhost as HostIn).registation = true), `${H}.registation`, "registration, privileged_entities, delegations, client_delegation"],
    ["privileged entity", (c) => void ((c.hosts.localhost as HostIn).privileged_entities["pubsub.localhost"].rooster = "get"), `${PUBSUB}.rooster`, "roster, push, message, presence, iq"],
    ["delegation", (c) => void ((c.hosts.localhost as HostIn).delegations["urn:xmpp:mam:2"].filter = ["node"]), `${H}.delegations["urn:xmpp:mam:2"].filter`, "jid, filtering"],
    ["limits", (c) => void (c.limits = { max_stanza: 2048 }), "XMPP_CONFIG.limits.max_stanza", "max_stanza_size, rate_per_second, burst, auth_failures_before_delay, component_rate_per_second, component_burst, max_roster_items"],
    ["key with a dot", (c) => void (c["hosts.localhost"] = {}), 'XMPP_CONFIG["hosts.localhost"]', "hosts, components, limits, delegation_timeout_ms, web_client, archive, stream_management"],
    ["archive", (c) => void (c.archive = { retention: 1 }), "XMPP_CONFIG.archive.retention", "retention_days, max_messages"],
  ];
  it.each(cases)("%s", (_name, edit, key, expected) => {
    const cfg = example();
    edit(cfg);
    expectError(cfg, key, `unknown key (expected one of: ${expected})`);
  });

  it("component entry (no options yet)", () => {
    const cfg = example();
    cfg.components["pubsub.localhost"] = { secret: "nope" };
    expectError(cfg, 'XMPP_CONFIG.components["pubsub.localhost"].secret', "unknown key (no options are defined here yet)");
    cfg.components["pubsub.localhost"] = true;
    expectError(cfg, 'XMPP_CONFIG.components["pubsub.localhost"]', "must be an object (a TOML table), got a boolean");
  });
});

describe("structure and types", () => {
  it("requires XMPP_CONFIG and at least one host", () => {
    expect(thrown({}).message).toBe("XMPP_CONFIG: is not set (a TOML table in wrangler.toml [vars], or a JSON string)");
    expect(thrown({ XMPP_CONFIG: "" }).key).toBe("XMPP_CONFIG");
    expectError({}, "XMPP_CONFIG.hosts", "is required (at least one host)");
    expectError({ hosts: {} }, "XMPP_CONFIG.hosts", "must name at least one host");
    expectError([], "XMPP_CONFIG", "must be an object (a TOML table), got an array");
    expectError("42", "XMPP_CONFIG", "must be an object (a TOML table), got a number");
    expectError({ hosts: [] }, "XMPP_CONFIG.hosts", "must be an object (a TOML table), got an array");
    expectError({ hosts: { localhost: null } }, H, "must be an object (a TOML table), got null");
  });

  it("checks registration", () => {
    expectError(withHost((h) => void (h.registration = "yes")), `${H}.registration`, 'must be true or false (got "yes")');
    const c = parseConfig({ XMPP_CONFIG: { hosts: { localhost: { registration: true }, "example.org": {} } } });
    expect(c.hosts.localhost.registration).toBe(true);
    expect(c.hosts["example.org"]).toEqual({ domain: "example.org", registration: false, privileged: {}, delegations: {}, clientDelegation: [] });
    expect(c.components).toEqual({});
  });

  it("reports invalid JSON with the parser's reason", () => {
    const bad = '{"hosts": {"localhost": {}},}';
    let parserMessage = "";
    try {
      JSON.parse(bad);
    } catch (e) {
      parserMessage = (e as Error).message;
    }
    expect(parserMessage).not.toBe("");
    expect(thrown({ XMPP_CONFIG: bad }).message).toBe(`XMPP_CONFIG: is not valid JSON: ${parserMessage}`);
  });
});

describe("limits and timeouts", () => {
  const small = (extra: Record<string, unknown>) => ({ hosts: { localhost: {} }, ...extra });

  it("defaults", () => {
    const c = parseConfig({ XMPP_CONFIG: small({}) });
    expect(c.limits).toEqual({ maxStanzaSize: 262144, ratePerSecond: 50, burst: 200, authFailuresBeforeDelay: 3, componentRatePerSecond: 5000, componentBurst: 20_000, maxRosterItems: 5000 });
    expect(c.delegationTimeoutMs).toBe(30000);
    expect(parseConfig({ XMPP_CONFIG: small({ limits: { burst: 10 } }) }).limits).toEqual({ maxStanzaSize: 262144, ratePerSecond: 50, burst: 10, authFailuresBeforeDelay: 3, componentRatePerSecond: 5000, componentBurst: 20_000, maxRosterItems: 5000 });
  });

  it("archive: defaults, bounds and refusals", () => {
    expect(parseConfig({ XMPP_CONFIG: small({}) }).archive).toEqual({ retentionDays: 7, maxMessages: 10_000 });
    expect(parseConfig({ XMPP_CONFIG: small({ archive: { retention_days: 0, max_messages: 1 } }) }).archive).toEqual({ retentionDays: 0, maxMessages: 1 });
    expect(parseConfig({ XMPP_CONFIG: small({ archive: { max_messages: 50 } }) }).archive).toEqual({ retentionDays: 7, maxMessages: 50 });
    expect(() => parseConfig({ XMPP_CONFIG: small({ archive: { max_messages: 0 } }) })).toThrow(/XMPP_CONFIG\.archive\.max_messages/);
    expect(() => parseConfig({ XMPP_CONFIG: small({ archive: { retention_days: -1 } }) })).toThrow(/XMPP_CONFIG\.archive\.retention_days/);
    expect(() => parseConfig({ XMPP_CONFIG: small({ archive: { keep: 1 } }) })).toThrow(/XMPP_CONFIG\.archive/);
  });

  it("accepts the bounds", () => {
    const c = parseConfig({
      XMPP_CONFIG: small({
        limits: { max_stanza_size: 1024, rate_per_second: 0.5, burst: 1, auth_failures_before_delay: 0, component_rate_per_second: 0.01, component_burst: 1, max_roster_items: 1 },
        delegation_timeout_ms: 100,
      }),
    });
    expect(c.limits).toEqual({ maxStanzaSize: 1024, ratePerSecond: 0.5, burst: 1, authFailuresBeforeDelay: 0, componentRatePerSecond: 0.01, componentBurst: 1, maxRosterItems: 1 });
    expect(c.delegationTimeoutMs).toBe(100);
    const d = parseConfig({ XMPP_CONFIG: small({ limits: { max_stanza_size: 16777216 }, delegation_timeout_ms: 600000 }) });
    expect(d.limits.maxStanzaSize).toBe(16777216);
    expect(d.delegationTimeoutMs).toBe(600000);
  });

  it.each([
    [{ limits: { max_stanza_size: 1023 } }, "XMPP_CONFIG.limits.max_stanza_size", "must be between 1024 and 16777216 (got 1023)"],
    [{ limits: { max_stanza_size: 16777217 } }, "XMPP_CONFIG.limits.max_stanza_size", "must be between 1024 and 16777216 (got 16777217)"],
    [{ limits: { max_stanza_size: 2048.5 } }, "XMPP_CONFIG.limits.max_stanza_size", "must be an integer (got 2048.5)"],
    [{ limits: { max_stanza_size: "2048" } }, "XMPP_CONFIG.limits.max_stanza_size", 'must be an integer (got "2048")'],
    [{ limits: { rate_per_second: 0 } }, "XMPP_CONFIG.limits.rate_per_second", "must be a number greater than 0 (got 0)"],
    [{ limits: { rate_per_second: Number.POSITIVE_INFINITY } }, "XMPP_CONFIG.limits.rate_per_second", "must be a number greater than 0 (got Infinity)"],
    [{ limits: { burst: 0 } }, "XMPP_CONFIG.limits.burst", `must be between 1 and ${Number.MAX_SAFE_INTEGER} (got 0)`],
    [{ limits: { component_rate_per_second: -5 } }, "XMPP_CONFIG.limits.component_rate_per_second", "must be a number greater than 0 (got -5)"],
    [{ limits: { component_burst: 1.5 } }, "XMPP_CONFIG.limits.component_burst", "must be an integer (got 1.5)"],
    [{ limits: { max_roster_items: 0 } }, "XMPP_CONFIG.limits.max_roster_items", "must be between 1 and 1000000 (got 0)"],
    [{ limits: { max_roster_items: 1000001 } }, "XMPP_CONFIG.limits.max_roster_items", "must be between 1 and 1000000 (got 1000001)"],
    [{ limits: { auth_failures_before_delay: -1 } }, "XMPP_CONFIG.limits.auth_failures_before_delay", `must be between 0 and ${Number.MAX_SAFE_INTEGER} (got -1)`],
    [{ limits: "big" }, "XMPP_CONFIG.limits", "must be an object (a TOML table), got a string"],
    [{ delegation_timeout_ms: 99 }, "XMPP_CONFIG.delegation_timeout_ms", "must be between 100 and 600000 (got 99)"],
    [{ delegation_timeout_ms: 600001 }, "XMPP_CONFIG.delegation_timeout_ms", "must be between 100 and 600000 (got 600001)"],
  ])("refuses %j", (extra, key, reason) => {
    expectError(small(extra), key, reason);
  });
});

describe("COMPONENT_SECRETS and ADMIN_TOKEN", () => {
  const SECRET = "s3cr3t-Value-42";

  it("accepts secrets as an object or a JSON string, matching JIDs case-insensitively", () => {
    for (const secrets of [{ "PubSub.Localhost": SECRET }, JSON.stringify({ "pubsub.localhost": SECRET })]) {
      const vars = { XMPP_CONFIG: example(), COMPONENT_SECRETS: secrets };
      const c = parseConfig(vars);
      expect(c.components["pubsub.localhost"]).toEqual({ jid: "pubsub.localhost", hasSecret: true });
      expect(JSON.stringify(c)).not.toContain(SECRET);
      expect(componentSecret(vars, "pubsub.localhost")).toBe(SECRET);
      expect(componentSecret(vars, "PUBSUB.localhost")).toBe(SECRET);
      expect(componentSecret(vars, "other.localhost")).toBeUndefined();
    }
  });

  it("allows a configured component without a secret", () => {
    for (const secrets of [undefined, "", "{}", {}]) {
      const vars = { XMPP_CONFIG: example(), COMPONENT_SECRETS: secrets };
      expect(parseConfig(vars).components["pubsub.localhost"].hasSecret).toBe(false);
      expect(componentSecret(vars, "pubsub.localhost")).toBeUndefined();
    }
  });

  it("refuses bad secrets without ever showing a secret", () => {
    const cases: Array<[unknown, string, string]> = [
      [{ "stranger.localhost": SECRET }, "COMPONENT_SECRETS", "has a key that is not a configured component (not shown: it could be a misplaced secret); configured components: pubsub.localhost"],
      // Key and value swapped: the secret is a key, and must not be named (issue 14, item 14).
      [{ [SECRET]: "pubsub.localhost" }, "COMPONENT_SECRETS", "has a key that is not a configured component (not shown: it could be a misplaced secret); configured components: pubsub.localhost"],
      [{ "pubsub.localhost": SECRET, [SECRET]: SECRET }, "COMPONENT_SECRETS", "has a key that is not a configured component (not shown: it could be a misplaced secret); configured components: pubsub.localhost"],
      [{ "pubsub.localhost": "" }, 'COMPONENT_SECRETS["pubsub.localhost"]', "must be a non-empty string"],
      [{ "pubsub.localhost": 4242424242 }, 'COMPONENT_SECRETS["pubsub.localhost"]', "must be a non-empty string"],
      [{ "pubsub.localhost": [SECRET] }, 'COMPONENT_SECRETS["pubsub.localhost"]', "must be a non-empty string"],
      [{ "pubsub.localhost": SECRET, "PUBSUB.LOCALHOST": SECRET }, 'COMPONENT_SECRETS["PUBSUB.LOCALHOST"]', 'names the same domain as COMPONENT_SECRETS["pubsub.localhost"]'],
      [{ "bot@localhost": SECRET }, "COMPONENT_SECRETS", "has a key that is not a configured component (not shown: it could be a misplaced secret); configured components: pubsub.localhost"],
      [`{"pubsub.localhost": ${SECRET}}`, "COMPONENT_SECRETS", "is not valid JSON (parser details withheld: the value is secret)"],
      [`{"pubsub.localhost": "${SECRET}"`, "COMPONENT_SECRETS", "is not valid JSON (parser details withheld: the value is secret)"],
      [SECRET, "COMPONENT_SECRETS", "is not valid JSON (parser details withheld: the value is secret)"],
      [JSON.stringify([SECRET]), "COMPONENT_SECRETS", "must be a JSON object of component JID to secret, got an array"],
      [JSON.stringify(SECRET), "COMPONENT_SECRETS", "must be a JSON object of component JID to secret, got a string"],
    ];
    for (const [secrets, key, reason] of cases) {
      const e = thrown({ XMPP_CONFIG: example(), COMPONENT_SECRETS: secrets });
      expect(e.message).toBe(`${key}: ${reason}`);
      expect(e.message).not.toContain(SECRET);
      expect(e.message).not.toContain("4242424242");
      const r = loadConfig({ XMPP_CONFIG: example(), COMPONENT_SECRETS: secrets });
      expect(r).toEqual({ ok: false, error: `${key}: ${reason}` });
    }
  });

  it("reads ADMIN_TOKEN, off when unset or empty, never shown by redactConfig", () => {
    expect(parseConfig({ XMPP_CONFIG: example() }).adminToken).toBeNull();
    expect(parseConfig({ XMPP_CONFIG: example(), ADMIN_TOKEN: "" }).adminToken).toBeNull();
    const c = parseConfig({ XMPP_CONFIG: example(), ADMIN_TOKEN: "tok-123456" });
    expect(c.adminToken).toBe("tok-123456");
    const shown = redactConfig(c);
    expect(shown.adminApi).toBe(true);
    expect(JSON.stringify(shown)).not.toContain("tok-123456");
    expect(JSON.stringify(shown)).toContain('"delegationTimeoutMs":30000');
    expect(redactConfig(parseConfig({ XMPP_CONFIG: example() })).adminApi).toBe(false);
    const e = thrown({ XMPP_CONFIG: example(), ADMIN_TOKEN: 987654321 });
    expect(e.message).toBe("ADMIN_TOKEN: must be a string");
  });
});

describe("web_client (GET /)", () => {
  it("is on by default, off with false, and refuses anything but a boolean", () => {
    expect(parseConfig({ XMPP_CONFIG: example() }).webClient).toBe(true);
    expect(parseConfig({ XMPP_CONFIG: { ...example(), web_client: false } }).webClient).toBe(false);
    expect(parseConfig({ XMPP_CONFIG: { ...example(), web_client: true } }).webClient).toBe(true);
    expectError({ ...example(), web_client: "no" }, "XMPP_CONFIG.web_client", 'must be true or false (got "no")');
  });
});

describe("loadConfig", () => {
  it("returns the config or the error message", () => {
    const ok = loadConfig({ XMPP_CONFIG: example() });
    expect(ok).toEqual({ ok: true, config: EXPECTED_EXAMPLE });
    expect(loadConfig({ XMPP_CONFIG: "{" }).ok).toBe(false);
    const bad = loadConfig({ XMPP_CONFIG: { hosts: {} } });
    expect(bad).toEqual({ ok: false, error: "XMPP_CONFIG.hosts: must name at least one host" });
  });

  it("is memoised by the identity of the three values, not of the env object", () => {
    const xmpp = example();
    const a = loadConfig({ XMPP_CONFIG: xmpp, COMPONENT_SECRETS: '{"pubsub.localhost":"x"}', ADMIN_TOKEN: "t" });
    const b = loadConfig({ XMPP_CONFIG: xmpp, COMPONENT_SECRETS: '{"pubsub.localhost":"x"}', ADMIN_TOKEN: "t" });
    expect(b).toBe(a);
    const json = JSON.stringify(example());
    expect(loadConfig({ XMPP_CONFIG: json })).toBe(loadConfig({ XMPP_CONFIG: json }));
    // a different value is parsed again
    const c = loadConfig({ XMPP_CONFIG: xmpp, COMPONENT_SECRETS: '{"pubsub.localhost":"x"}', ADMIN_TOKEN: "u" });
    expect(c).not.toBe(a);
    if (!c.ok) throw new Error(c.error);
    expect(c.config.adminToken).toBe("u");
    const other = example();
    expect(loadConfig({ XMPP_CONFIG: other, COMPONENT_SECRETS: '{"pubsub.localhost":"x"}', ADMIN_TOKEN: "t" })).not.toBe(a);
  });
});

describe("lookups", () => {
  const c = parseConfig({ XMPP_CONFIG: example() });

  it("hostOf finds configured hosts only", () => {
    expect(hostOf(c, "localhost")?.domain).toBe("localhost");
    expect(hostOf(c, "LocalHost")?.domain).toBe("localhost");
    expect(hostOf(c, "pubsub.localhost")).toBeUndefined();
    expect(hostOf(c, "example.org")).toBeUndefined();
  });

  it("isComponent and componentFor match the exact component JID only", () => {
    expect(isComponent(c, "pubsub.localhost")).toBe(true);
    expect(isComponent(c, "PubSub.localhost")).toBe(true);
    expect(isComponent(c, "localhost")).toBe(false);
    expect(isComponent(c, "x.pubsub.localhost")).toBe(false);
    expect(componentFor(c, "pubsub.localhost")).toBe("pubsub.localhost");
    expect(componentFor(c, "x.pubsub.localhost")).toBeUndefined();
    expect(componentFor(c, "localhost")).toBeUndefined();
  });
});
