// Stanzas to local JIDs without an account (RFC 6121 §8.5.1): the answers do not tell
// a stranger whether the account exists, and the missing account's object stores nothing.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { parse } from "ltx";
import { noAccountReply } from "../../src/im/no-account";
import { createAccount, unique } from "./support/socket";

const STRANGER = "eve@localhost/laptop";

/** The IQ requests a stranger could use to probe for an account. */
const probes = (to: string) => [
  `<iq xmlns='jabber:client' type='get' id='p1' from='${STRANGER}' to='${to}'/>`,
  `<iq xmlns='jabber:client' type='get' id='p2' from='${STRANGER}' to='${to}'><a xmlns='x'/><b xmlns='y'/></iq>`,
  `<iq xmlns='jabber:client' type='get' id='p3' from='${STRANGER}' to='${to}'><ping xmlns='urn:xmpp:ping'/></iq>`,
  `<iq xmlns='jabber:client' type='get' id='p4' from='${STRANGER}' to='${to}'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
  `<iq xmlns='jabber:client' type='get' id='p5' from='${STRANGER}' to='${to}'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`,
  `<iq xmlns='jabber:client' type='get' id='p6' from='${STRANGER}' to='${to}'><query xmlns='jabber:iq:roster'/></iq>`,
  `<iq xmlns='jabber:client' type='set' id='p7' from='${STRANGER}' to='${to}'><vcard xmlns='vcard-temp'/></iq>`,
];

/** The user tables of an object's SQLite database (the runtime's own start with _cf_). */
async function userTables(stub: DurableObjectStub): Promise<string[]> {
  return runInDurableObject(stub, (_obj, state) =>
    state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray()
      .map((r) => r.name).filter((n) => !n.startsWith("_cf_") && !n.startsWith("sqlite_")),
  );
}

describe("IQ answers from a bare JID do not reveal whether the account exists", () => {
  it("a stranger gets the same service-unavailable from an existing and a missing account", async () => {
    const real = `${unique("real")}@localhost`;
    const ghost = `${unique("ghost")}@localhost`;
    await createAccount(real);
    for (const [i, probe] of probes("TARGET").entries()) {
      const fromReal = await env.ACCOUNT.getByName(real).receive(probe.replace("TARGET", real));
      const fromGhost = await env.ACCOUNT.getByName(ghost).receive(probe.replace("TARGET", ghost));
      expect(fromReal.map((s) => s.replaceAll(real, "TARGET")), `probe ${i + 1}`).toEqual(fromGhost.map((s) => s.replaceAll(ghost, "TARGET")));
      const err = parse(fromGhost[0]!);
      expect(err.attrs).toEqual({ xmlns: "jabber:client", type: "error", from: ghost, to: STRANGER, id: `p${i + 1}` });
      expect(err.getChild("error")!.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeTruthy();
    }
  });

  it("the owner still gets bad-request for an IQ without exactly one payload", async () => {
    const bare = `${unique("own")}@localhost`;
    await createAccount(bare);
    const [reply] = await env.ACCOUNT.getByName(bare).receive(`<iq xmlns='jabber:client' type='get' id='o1' from='${bare}/r' to='${bare}'/>`);
    expect(parse(reply!).getChild("error")!.getChild("bad-request", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeTruthy();
  });
});

describe("a missing account's object creates no tables", () => {
  it("after messages, presences and IQs to its bare and full JIDs", async () => {
    const ghost = `${unique("void")}@localhost`;
    const stub = env.ACCOUNT.getByName(ghost);
    const msg = await stub.receive(`<message xmlns='jabber:client' type='chat' id='m1' from='${STRANGER}' to='${ghost}'><body>hi</body></message>`);
    expect(parse(msg[0]!).getChild("error")!.getChild("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeTruthy();
    expect(await stub.receive(`<presence xmlns='jabber:client' type='subscribe' from='${STRANGER}' to='${ghost}'/>`)).toEqual([]);
    expect(await stub.receive(`<presence xmlns='jabber:client' from='${STRANGER}' to='${ghost}/r'/>`)).toEqual([]);
    expect(await stub.receive(`<presence xmlns='jabber:client' type='probe' from='${STRANGER}' to='${ghost}'/>`)).toEqual([]);
    expect((await stub.receive(`<iq xmlns='jabber:client' type='get' id='i1' from='${STRANGER}' to='${ghost}/r'><ping xmlns='urn:xmpp:ping'/></iq>`)).length).toBe(1);
    expect(await stub.receive(`<iq xmlns='jabber:client' type='result' id='i2' from='${STRANGER}' to='${ghost}'/>`)).toEqual([]);
    await stub.unbind("r", "0".repeat(64));
    await stub.fromResource("r", `<presence xmlns='jabber:client' from='${ghost}/r' to='${STRANGER}'/>`);
    expect(await userTables(stub)).toEqual([]);
  });

  it("an existing account gets a table once something is written to it", async () => {
    const bare = `${unique("used")}@localhost`;
    await createAccount(bare);
    const stub = env.ACCOUNT.getByName(bare);
    await stub.receive(`<message xmlns='jabber:client' type='chat' id='m1' from='${STRANGER}' to='${bare}'><body>hi</body></message>`);
    // Stored offline: the offline table (resources comes with the account), and none of those
    // only read on the way (roster, directed presence).
    const tables = await userTables(stub);
    expect(tables).toEqual(expect.arrayContaining(["offline", "resources"]));
    expect(tables).not.toContain("roster");
    expect(tables).not.toContain("directed");
  });
});

describe("noAccountReply (RFC 6121 §8.5.1)", () => {
  const el = (s: string) => parse(s);
  it("messages: service-unavailable except type error; to a full JID as to the bare JID", () => {
    for (const type of ["chat", "normal", "headline", "groupchat"]) {
      for (const resource of ["", "r"]) {
        const [r] = noAccountReply(el(`<message xmlns='jabber:client' type='${type}' id='x' from='a@b/c' to='n@localhost${resource ? "/r" : ""}'/>`), resource);
        expect(parse(r!).getChild("error")!.getChild("service-unavailable")).toBeTruthy();
      }
    }
    expect(noAccountReply(el(`<message xmlns='jabber:client' type='error' from='a@b/c' to='n@localhost'/>`), "")).toEqual([]);
  });
  it("presences are ignored; IQ results and errors dropped, requests service-unavailable", () => {
    for (const type of ["", "unavailable", "probe", "subscribe", "subscribed", "error"]) {
      expect(noAccountReply(el(`<presence xmlns='jabber:client' ${type ? `type='${type}'` : ""} from='a@b/c' to='n@localhost'/>`), "")).toEqual([]);
    }
    expect(noAccountReply(el(`<iq xmlns='jabber:client' type='result' id='1' from='a@b/c' to='n@localhost'/>`), "")).toEqual([]);
    expect(noAccountReply(el(`<iq xmlns='jabber:client' type='error' id='1' from='a@b/c' to='n@localhost/r'/>`), "r")).toEqual([]);
    const [r] = noAccountReply(el(`<iq xmlns='jabber:client' type='set' id='1' from='a@b/c' to='n@localhost/r'><q xmlns='z'/></iq>`), "r");
    expect(parse(r!).attrs).toEqual({ xmlns: "jabber:client", type: "error", from: "n@localhost/r", to: "a@b/c", id: "1" });
  });
});
