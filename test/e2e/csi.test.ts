// XEP-0352 Client State Indication over real sockets (CONTRACT.md "Sessions that
// survive"): <inactive/> and <active/> accepted after bind and never answered; while
// inactive a message with a body goes out at once, presence updates wait (the latest per
// sender) and are flushed on <active/>; with XEP-0198 the held presence is counted when it
// goes out.
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { RawXmpp } from "./support/raw-client";
import { isPresence } from "./support/im";
import { NS_CSI, NS_SM, chat, isMessageId, isSm, smLogin } from "./support/sm";

describe("XEP-0352", () => {
  it("inactive: a message with a body at once, presence held (latest per sender) and flushed on active", async () => {
    const base = gatewayUrl();
    const a = uniqueName("csi-a");
    const b = uniqueName("csi-b");
    const aBare = `${a}@localhost`;
    await createUser(aBare);
    await createUser(`${b}@localhost`);
    const phone = await smLogin(base, a, "phone", { presence: true }); // counted out: 1 (the echo)
    phone.c.send(`<inactive xmlns='${NS_CSI}'/>`);
    // Her own other resource changes presence twice: RFC 6121 §4.2.2 sends it to phone.
    const desk = await RawXmpp.login(base, { username: a, resource: "desk" });
    desk.send(`<presence xmlns='jabber:client'><show>away</show></presence>`);
    await desk.next(isPresence(`${aBare}/desk`));
    desk.send(`<presence xmlns='jabber:client'><show>dnd</show></presence>`);
    await desk.next((el) => isPresence(`${aBare}/desk`)(el) && el.getChildText("show") === "dnd");
    const bob = await RawXmpp.login(base, { username: b, resource: "b" });
    bob.send(chat(`${aBare}/phone`, "now", "a message with a body"));
    await phone.c.next(isMessageId("now"));
    await phone.c.nothing(isPresence(`${aBare}/desk`), 500);
    // Never answered, never an error (no frame at all, the stream goes on).
    expect(phone.c.pending().filter((el) => el.getName() !== "presence")).toEqual([]);
    phone.c.send(`<active xmlns='${NS_CSI}'/>`);
    const flushed = await phone.c.next(isPresence(`${aBare}/desk`));
    expect(flushed.getChildText("show")).toBe("dnd");
    await phone.c.nothing(isPresence(`${aBare}/desk`), 400);
    // Counted: echo, message, the one flushed presence.
    phone.c.send(`<a xmlns='${NS_SM}' h='3'/>`);
    phone.c.send(`<r xmlns='${NS_SM}'/>`);
    await phone.c.next(isSm("a"));
    expect(phone.c.pending().some((el) => el.getName() === "error")).toBe(false);
    phone.c.close();
    desk.close();
    bob.close();
  });

  it("without stream management too: accepted, no error, the stream goes on", async () => {
    const base = gatewayUrl();
    const a = uniqueName("csi-plain");
    await createUser(`${a}@localhost`);
    const c = await RawXmpp.login(base, { username: a, resource: "r" });
    c.send(`<inactive xmlns='${NS_CSI}'/>`);
    c.send(`<active xmlns='${NS_CSI}'/>`);
    const pong = await c.iq(`<iq xmlns='jabber:client' type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "p");
    expect(pong.attrs.type).toBe("result");
    expect(c.seen.some((t) => t.includes("unsupported-stanza-type"))).toBe(false);
    c.close();
  });
});
