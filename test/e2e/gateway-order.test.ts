// In-order processing of one session's stanzas (RFC 6120 §10.1): a stanza is handled only
// after the previous one from the same stream, whatever objects each one involves.
import { describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { isMessage, online } from "./support/im";

describe("in-order processing (RFC 6120 §10.1)", () => {
  it("replies come back in the order the stanzas were sent", async () => {
    const a = uniqueName("order");
    const b = uniqueName("order-peer");
    await createUser(`${a}@localhost`);
    await createUser(`${b}@localhost`);
    const peer = await online(gatewayUrl(), b, "p");
    const c = await online(gatewayUrl(), a, "o");
    // Alternate a stanza that needs other objects (a bounce from an unknown account, a message to
    // the peer) with one the session answers itself (a ping to the server).
    const ghost = `${uniqueName("ghost")}@localhost`;
    const expected: string[] = [];
    for (let i = 0; i < 10; i++) {
      c.send(`<message xmlns='jabber:client' type='chat' to='${ghost}' id='m${i}'><body>x</body></message>`);
      c.send(`<iq xmlns='jabber:client' type='get' id='p${i}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
      expected.push(`m${i}`, `p${i}`);
    }
    const got: string[] = [];
    for (let i = 0; i < expected.length; i++) got.push((await c.next((el) => el.attrs.id !== undefined && /^[mp]\d+$/.test(el.attrs.id))).attrs.id!);
    expect(got).toEqual(expected);

    // Messages to one contact arrive in the order sent.
    for (let i = 0; i < 20; i++) c.send(`<message xmlns='jabber:client' type='chat' to='${b}@localhost/p' id='s${i}'><body>${i}</body></message>`);
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) bodies.push((await peer.next(isMessage(`${a}@localhost/o`))).getChildText("body")!);
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    c.close();
    peer.close();
  });
});
