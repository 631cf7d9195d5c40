// Several virtual hosts from XMPP_CONFIG on one gateway.
// References: RFC 6120 §4.7.2 ('to' names the host; the answer's 'from' is that host),
// §4.9.3.6 (host-unknown), RFC 7622 §3.2 (domainparts compare case-insensitively),
// RFC 6121 §8.5 (local delivery between hosts of one server).
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName, wsUrl } from "./support/gateway";
import { isMessage, isPresence, isPush, online } from "./support/im";
import { RawXmpp, is, streamCondition } from "./support/raw-client";

describe("virtual hosts", () => {
  it("the same localpart on two hosts is two accounts with their own passwords", async () => {
    const name = uniqueName("twin");
    await createUser(`${name}@localhost`, "one");
    await createUser(`${name}@reg.localhost`, "two");
    await expect(RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost", password: "one" })).rejects.toThrow(/failed/);
    const a = await RawXmpp.login(gatewayUrl(), { username: name, domain: "reg.localhost", password: "two", resource: "r" });
    expect(a.jid).toBe(`${name}@reg.localhost/r`);
    const b = await RawXmpp.login(gatewayUrl(), { username: name, domain: "localhost", password: "one", resource: "r" });
    expect(b.jid).toBe(`${name}@localhost/r`);
    a.close();
    b.close();
  });

  it("the host name in <open/> is case-insensitive and answered in lower case", async () => {
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    const { open } = await c.openStream("REG.LocalHost");
    expect(open.attrs.from).toBe("reg.localhost");
    c.close();
  });

  it("a restart naming another host than the one authenticated gets host-unknown", async () => {
    const name = uniqueName("hop");
    await createUser(`${name}@localhost`);
    const c = await RawXmpp.open(wsUrl(gatewayUrl()));
    await c.openStream("localhost");
    await c.authenticate("PLAIN", name, "pw");
    c.send(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='reg.localhost' version='1.0'/>`);
    expect(streamCondition(await c.next(is.streamError()))).toBe("host-unknown");
    await c.next(is.close());
  });

  it("users of different hosts subscribe and chat", async () => {
    const a = uniqueName("host-a");
    const b = uniqueName("host-b");
    const aBare = `${a}@localhost`;
    const bBare = `${b}@reg.localhost`;
    await createUser(aBare);
    await createUser(bBare);
    const alice = await online(gatewayUrl(), a, "x");
    const bob = await online(gatewayUrl(), b, "y", { domain: "reg.localhost" });
    alice.send(`<presence xmlns='jabber:client' to='${bBare}' type='subscribe'/>`);
    await alice.next(isPush(bBare));
    await bob.next(isPresence(aBare, "subscribe"));
    bob.send(`<presence xmlns='jabber:client' to='${aBare}' type='subscribed'/>`);
    await alice.next(isPresence(`${bBare}/y`));
    bob.send(`<message xmlns='jabber:client' type='chat' to='${aBare}'><body>across hosts</body></message>`);
    const m = await alice.next(isMessage(`${bBare}/y`));
    expect(m.getChildText("body")).toBe("across hosts");
    alice.close();
    bob.close();
  });
});
