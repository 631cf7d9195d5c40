// JID validation (RFC 7622) and the router's destination classification.
import { describe, expect, it } from "vitest";
import { bareOf, domainOf, parseJid } from "../../src/jid/jid";
import { classify } from "../../src/pipeline/classify";
import { parseConfig } from "../../src/config";

describe("parseJid", () => {
  it("normalises case of local and domain parts, keeps the resource", () => {
    expect(parseJid("Alice@Example.COM/Res")).toEqual({ local: "alice", domain: "example.com", resource: "Res", bare: "alice@example.com", full: "alice@example.com/Res" });
  });
  it.each(["", "@x", "a@", "x/", "a b@x", "a@b@c", "a\"b@x", "a@.x", "a@x..y", `${"a".repeat(1024)}@x`])("refuses %j", (s) => {
    expect(parseJid(s)).toBeNull();
  });
  it("strips one trailing dot of the domain (RFC 7622 §3.2)", () => {
    expect(parseJid("a@localhost.")?.bare).toBe("a@localhost");
  });
});

describe("classify", () => {
  const config = parseConfig({
    XMPP_CONFIG: { hosts: { localhost: {}, "other.test": {} }, components: { "pubsub.localhost": {} } },
  });
  const dest = (s: string) => classify(config, parseJid(s)!);
  it("sorts hosts, accounts, components and remote domains", () => {
    expect(dest("localhost")).toEqual({ kind: "host", host: "localhost" });
    expect(dest("alice@other.test/r")).toEqual({ kind: "account", host: "other.test", bare: "alice@other.test", resource: "r" });
    expect(dest("pubsub.localhost")).toEqual({ kind: "component", component: "pubsub.localhost" });
    expect(dest("node@pubsub.localhost/x")).toEqual({ kind: "component", component: "pubsub.localhost" });
    expect(dest("bob@remote.example")).toEqual({ kind: "remote", domain: "remote.example" });
  });
});

describe("bareOf and domainOf", () => {
  it("cut at the first slash, then after the @ of the bare part", () => {
    expect(domainOf("alice@example.com/phone")).toBe("example.com");
    expect(domainOf("example.com/res@evil.example")).toBe("example.com");
    expect(domainOf("room@muc.example/nick@with/slash")).toBe("muc.example");
    expect(domainOf("example.com")).toBe("example.com");
    expect(bareOf("a@b/c/d")).toBe("a@b");
  });
});
