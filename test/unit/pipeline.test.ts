// The stanza pipeline's dispatch table (src/pipeline) and the table the features build
// for the example configuration, which docs/architecture.md shows.
import { describe, expect, it } from "vitest";
import architecture from "../../docs/architecture.md?raw";
import { HandlerTable } from "../../src/pipeline/handler-table";
import { eventKeys } from "../../src/pipeline/events";
import { gatewayFor } from "../../src/features";
import { parseConfig } from "../../src/config";
import { parse } from "ltx";
import { env } from "cloudflare:test";

describe("HandlerTable", () => {
  it("runs the handlers of every key in one priority order and stops at the first that handles", async () => {
    const t = new HandlerTable<string[]>();
    t.on("a", "f1", (log) => void log.push("a0"));
    t.on("b", "f2", (log) => void log.push("b5"), 5);
    t.on("a", "f3", (log) => { log.push("a5"); return true; }, 5);
    t.on("c", "f4", (log) => void log.push("c9"), 9);
    const log: string[] = [];
    expect(await t.fire(["a", "b", "c"], log)).toBe(true);
    // c9 first; a5 and b5 tie: the first registered runs first (b5 was registered before a5).
    expect(log).toEqual(["c9", "b5", "a5"]);
    const none: string[] = [];
    expect(await t.fire(["x"], none)).toBe(false);
    expect(none).toEqual([]);
  });

  it("caches merged lists per combination of registered keys only, whatever the traffic", async () => {
    const t = new HandlerTable<null>();
    t.on("iq-get/host", "f", () => false);
    for (let i = 0; i < 500; i++) await t.fire([`iq-get/host/{urn:x:${i}}q`, `iq-get/host/{urn:x:${i}}*`, "iq-get/host"], null);
    expect(t.cachedLists).toBe(1);
  });
});

describe("event names", () => {
  it("are Prosody's shape with the payload in Clark notation, most specific first", () => {
    const iq = parse(`<iq type='set' id='1'><query xmlns='jabber:iq:roster'/></iq>`);
    expect(eventKeys("", "iq", "set", "self", iq.getChildElements()[0]!)).toEqual([
      "iq-set/self/{jabber:iq:roster}query", "iq-set/self/{jabber:iq:roster}*", "iq-set/self", "iq/self", "*",
    ]);
    expect(eventKeys("pre-", "message", "chat", "full", null)).toEqual(["pre-message/full", "pre-*"]);
    expect(eventKeys("pre-", "iq", "result", "host", null)).toEqual(["pre-iq-result/host", "pre-iq/host", "pre-*"]);
  });
});

describe("the table of the example configuration", () => {
  const config = parseConfig(env);
  const gateway = gatewayFor(config);
  const rows = (stage: "route" | "account") =>
    (stage === "route" ? gateway.routes : gateway.accountStage).registrations().map((r) => `| \`${r.event}\` | ${r.feature} | ${r.priority} |`);

  it("is the one docs/architecture.md shows (on a change, this test prints the block to paste)", () => {
    const shown = (marker: string) => {
      const start = architecture.indexOf(`<!-- ${marker} -->`);
      const end = architecture.indexOf(`<!-- /${marker} -->`);
      expect(start, `marker ${marker} in docs/architecture.md`).toBeGreaterThan(0);
      return architecture.slice(start, end).split("\n").filter((l) => l.startsWith("| `"));
    };
    const header = ["| event | feature | priority |", "| --- | --- | --- |"];
    const blocks = [["origin-table", "route"], ["account-table", "account"]] as const;
    // On a mismatch the blocks to paste into docs/architecture.md are printed whole.
    for (const [marker, stage] of blocks) {
      if (JSON.stringify(shown(marker)) !== JSON.stringify(rows(stage))) console.log([`<!-- ${marker} -->`, ...header, ...rows(stage), `<!-- /${marker} -->`].join("\n"));
    }
    for (const [marker, stage] of blocks) expect(shown(marker)).toEqual(rows(stage));
  });

  it("has delegation above every server handler of the namespaces it takes", () => {
    const regs = gateway.routes.registrations();
    const pubsub = regs.filter((r) => r.event === "pre-iq-set/bare/{http://jabber.org/protocol/pubsub}*");
    expect(pubsub).toEqual([{ event: "pre-iq-set/bare/{http://jabber.org/protocol/pubsub}*", feature: "delegation", priority: 100 }]);
    const hostDisco = regs.filter((r) => r.event.startsWith("pre-iq-get/host/{http://jabber.org/protocol/disco#info}"));
    expect(hostDisco.map((r) => r.feature)).toEqual(["disco"]);
  });
});

describe("route: a failure on the way (issue 14 item 6)", () => {
  it("answers the sender with a wait error and throws nothing; responses stay unanswered", async () => {
    const { route } = await import("../../src/pipeline/route");
    const { testServices } = await import("./support/services");
    const config = parseConfig(env);
    const routes = new HandlerTable<import("../../src/pipeline/context").RouteContext>();
    routes.on("pre-*", "test", () => {
      throw new Error("overloaded");
    });
    const services = { ...testServices(config, env), routes };
    const origin = { kind: "client", bare: "a@localhost", resource: "r", full: "a@localhost/r", host: "localhost", session: "x" } as const;
    const msg = parse(`<message xmlns='jabber:client' from='a@localhost/r' to='b@localhost' id='m1' type='chat'><body>hi</body></message>`);
    const [answer] = await route(services, origin, msg);
    const error = parse(answer!);
    expect(error.attrs).toMatchObject({ type: "error", id: "m1", to: "a@localhost/r" });
    expect(error.getChild("error")!.attrs.type).toBe("wait");
    expect(error.getChild("error")!.getChild("internal-server-error", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    const result = parse(`<iq xmlns='jabber:client' from='a@localhost/r' to='b@localhost/x' id='i1' type='result'/>`);
    expect(await route(services, origin, result)).toEqual([]);
  });
});
