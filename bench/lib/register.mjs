// In-band registration (XEP-0077) of the bench's accounts on a peer server, which has no
// admin API: open a stream, send the registration IQ, close. An account that exists
// already (conflict) counts as registered.
import { attr, Client } from "./xmpp.mjs";

const REGISTER = "jabber:iq:register";

/** Registers `bare`; a stream that times out is tried again, twice (ejabberd now and then
 *  drops one of thousands of registrations, which would end the whole run). */
export async function registerInBand(wsBase, bare, password, attempts = 3) {
  for (let i = 1; ; i++) {
    try {
      return await registerOnce(wsBase, bare, password);
    } catch (e) {
      if (i >= attempts || !String(e).includes("timeout")) throw e;
    }
  }
}

async function registerOnce(wsBase, bare, password) {
  const c = new Client(wsBase, { bare, password });
  try {
    await c.open();
    c.openStream();
    await c.features();
    c.send(`<iq type='set' id='reg1'><query xmlns='${REGISTER}'><username>${c.local}</username><password>${password}</password></query></iq>`);
    const r = await c.nextMatching((f) => f.startsWith("<iq") && attr(f, "id") === "reg1");
    if (attr(r, "type") !== "result" && !r.includes("<conflict")) throw new Error(`registration of ${bare} refused: ${r.slice(0, 300)}`);
  } finally {
    await c.closeAndWait();
  }
}
