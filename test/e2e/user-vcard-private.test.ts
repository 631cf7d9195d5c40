// XEP-0054 vcard-temp and XEP-0049 private XML storage over real sockets.
// References: XEP-0054 §3.1 (get own, empty when none), §3.2 (set own), §3.3 (get
// another's); XEP-0049 §2.1-§2.3 (get and set per namespace, only one's own,
// not-acceptable for reserved namespaces); the bounds (policy-violation) and removal
// with the account are this server's (docs/user-data.md).
import { describe, expect, it } from "vitest";
import { createUser } from "./support/gateway";
import { stanzaError } from "./support/raw-client";
import { NS_DISCO_INFO, closeAfterEach, deleteUser, iq, newUser, on } from "./user-data-support";

closeAfterEach();

const VCARD = "vcard-temp";
const PRIVATE = "jabber:iq:private";

describe("vcard-temp (XEP-0054)", () => {
  it("own set and get, another user's get, a set to someone else refused; advertised", async () => {
    const alice = await newUser("vc-alice");
    const bob = await newUser("vc-bob");
    const a = await on(alice.name, "a");
    const b = await on(bob.name, "b");
    const info = await iq(a, "get", `<query xmlns='${NS_DISCO_INFO}'/>`, "localhost");
    expect(info.getChild("query", NS_DISCO_INFO)!.getChildren("feature").map((f) => f.attrs.var)).toContain(VCARD);
    const none = await iq(a, "get", `<vCard xmlns='${VCARD}'/>`);
    expect(none.attrs.type).toBe("result");
    expect(none.getChild("vCard", VCARD)!.children).toEqual([]);
    expect((await iq(a, "set", `<vCard xmlns='${VCARD}'><FN>Alice A</FN><NICKNAME>al</NICKNAME></vCard>`)).attrs.type).toBe("result");
    const own = await iq(a, "get", `<vCard xmlns='${VCARD}'/>`);
    expect(own.getChild("vCard", VCARD)!.getChildText("FN")).toBe("Alice A");
    const theirs = await iq(b, "get", `<vCard xmlns='${VCARD}'/>`, alice.bare);
    expect(theirs.attrs.from).toBe(alice.bare);
    expect(theirs.getChild("vCard", VCARD)!.getChildText("NICKNAME")).toBe("al");
    const forged = await iq(b, "set", `<vCard xmlns='${VCARD}'><FN>not alice</FN></vCard>`, alice.bare);
    expect(stanzaError(forged).condition).toBe("forbidden");
    expect((await iq(b, "get", `<vCard xmlns='${VCARD}'/>`, alice.bare)).getChild("vCard", VCARD)!.getChildText("FN")).toBe("Alice A");
  });

  it("is bounded (policy-violation over 128 KiB, the old one kept) and removed with the account", async () => {
    const alice = await newUser("vc-alice");
    const a = await on(alice.name, "a");
    await iq(a, "set", `<vCard xmlns='${VCARD}'><FN>kept</FN></vCard>`);
    const big = await iq(a, "set", `<vCard xmlns='${VCARD}'><PHOTO><BINVAL>${"A".repeat(140 * 1024)}</BINVAL></PHOTO></vCard>`);
    expect(stanzaError(big)).toEqual({ type: "modify", condition: "policy-violation" });
    expect((await iq(a, "get", `<vCard xmlns='${VCARD}'/>`)).getChild("vCard", VCARD)!.getChildText("FN")).toBe("kept");
    a.close();
    await deleteUser(alice.bare);
    await createUser(alice.bare);
    const again = await on(alice.name, "a");
    expect((await iq(again, "get", `<vCard xmlns='${VCARD}'/>`)).getChild("vCard", VCARD)!.children).toEqual([]);
  });
});

describe("private XML storage (XEP-0049)", () => {
  it("stores per namespace for oneself only; reserved namespaces and others' storage refused; bounded; removed with the account", async () => {
    const alice = await newUser("ps-alice");
    const bob = await newUser("ps-bob");
    const a = await on(alice.name, "a");
    const b = await on(bob.name, "b");
    const empty = await iq(a, "get", `<query xmlns='${PRIVATE}'><prefs xmlns='urn:example:p'/></query>`);
    expect(empty.getChild("query", PRIVATE)!.getChild("prefs", "urn:example:p")!.children).toEqual([]);
    expect((await iq(a, "set", `<query xmlns='${PRIVATE}'><prefs xmlns='urn:example:p'><theme>dark</theme></prefs></query>`)).attrs.type).toBe("result");
    const got = await iq(a, "get", `<query xmlns='${PRIVATE}'><prefs xmlns='urn:example:p'/></query>`);
    expect(got.getChild("query", PRIVATE)!.getChild("prefs", "urn:example:p")!.getChildText("theme")).toBe("dark");
    // Another namespace is separate.
    const other = await iq(a, "get", `<query xmlns='${PRIVATE}'><prefs xmlns='urn:example:q'/></query>`);
    expect(other.getChild("query", PRIVATE)!.getChild("prefs", "urn:example:q")!.children).toEqual([]);
    // Someone else's storage: forbidden, read or write.
    expect(stanzaError(await iq(b, "get", `<query xmlns='${PRIVATE}'><prefs xmlns='urn:example:p'/></query>`, alice.bare)).condition).toBe("forbidden");
    expect(stanzaError(await iq(b, "set", `<query xmlns='${PRIVATE}'><prefs xmlns='urn:example:p'/></query>`, alice.bare)).condition).toBe("forbidden");
    expect(stanzaError(await iq(a, "get", `<query xmlns='${PRIVATE}'><x xmlns='jabber:client'/></query>`)).condition).toBe("not-acceptable");
    expect(stanzaError(await iq(a, "set", `<query xmlns='${PRIVATE}'/>`)).condition).toBe("not-acceptable");
    const big = await iq(a, "set", `<query xmlns='${PRIVATE}'><blob xmlns='urn:example:big'>${"B".repeat(200 * 1024)}</blob></query>`);
    expect(big.attrs.type).toBe("result");
    const over = await iq(a, "set", `<query xmlns='${PRIVATE}'><blob xmlns='urn:example:big2'>${"C".repeat(100 * 1024)}</blob></query>`);
    expect(stanzaError(over).condition).toBe("policy-violation");
    a.close();
    await deleteUser(alice.bare);
    await createUser(alice.bare);
    const again = await on(alice.name, "a");
    const gone = await iq(again, "get", `<query xmlns='${PRIVATE}'><prefs xmlns='urn:example:p'/></query>`);
    expect(gone.getChild("query", PRIVATE)!.getChild("prefs", "urn:example:p")!.children).toEqual([]);
  });
});
