// XEP-0054 vcard-temp: own get and set, another user's get, the size bound, removal.
import { describe, expect, it } from "vitest";
import { parse } from "ltx";
import { errorOf, same, withStore } from "./support/xml-compare";
import { MAX_VCARD_BYTES, VCARD_FEATURES, VcardStore, handleVcardIq } from "../../src/vcard";


const withVcard = <T>(f: (store: VcardStore, owner: string) => T) => withStore("vc", "jabber.org", (sql) => new VcardStore(sql), f);
const CARD = `<vCard xmlns='vcard-temp'><FN>Peter Saint-Andre</FN><N><FAMILY>Saint-Andre</FAMILY><GIVEN>Peter</GIVEN></N>
  <NICKNAME>stpeter</NICKNAME><PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO></vCard>`;

describe("vcard-temp (XEP-0054)", () => {
  it("own get with nothing stored: an empty <vCard/>", async () => {
    await withVcard((store, owner) => {
      const get = parse(`<iq xmlns='jabber:client' from='${owner}/roundabout' id='v1' type='get'><vCard xmlns='vcard-temp'/></iq>`);
      same(handleVcardIq(get, owner, store), `<iq xmlns='jabber:client' id='v1' to='${owner}/roundabout' type='result'><vCard xmlns='vcard-temp'/></iq>`);
    });
  });

  it("own set: an empty result; then own get returns it, with or without 'to'", async () => {
    await withVcard((store, owner) => {
      const set = parse(`<iq xmlns='jabber:client' from='${owner}/roundabout' id='v2' type='set'>${CARD}</iq>`);
      same(handleVcardIq(set, owner, store), `<iq xmlns='jabber:client' id='v2' to='${owner}/roundabout' type='result'/>`);
      const get = parse(`<iq xmlns='jabber:client' from='${owner}/roundabout' id='v1' type='get'><vCard xmlns='vcard-temp'/></iq>`);
      same(handleVcardIq(get, owner, store), `<iq xmlns='jabber:client' id='v1' to='${owner}/roundabout' type='result'>${CARD}</iq>`);
      const toSelf = parse(`<iq xmlns='jabber:client' from='${owner}/roundabout' to='${owner}' id='v1b' type='get'><vCard xmlns='vcard-temp'/></iq>`);
      same(handleVcardIq(toSelf, owner, store), `<iq xmlns='jabber:client' id='v1b' from='${owner}' to='${owner}/roundabout' type='result'>${CARD}</iq>`);
    });
  });

  it("a second set replaces the first", async () => {
    await withVcard((store, owner) => {
      handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='a' type='set'>${CARD}</iq>`), owner, store);
      handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='b' type='set'><vCard xmlns='vcard-temp'><FN>Peter</FN></vCard></iq>`), owner, store);
      const got = handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='c' type='get'><vCard xmlns='vcard-temp'/></iq>`), owner, store);
      same(got.getChild("vCard", "vcard-temp")!, `<vCard xmlns='vcard-temp'><FN>Peter</FN></vCard>`);
    });
  });

  it("another user's get: their vCard, from their bare JID (Example 4)", async () => {
    await withVcard((store, owner) => {
      handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='a' type='set'>${CARD}</iq>`), owner, store);
      const get = parse(`<iq xmlns='jabber:client' from='jer@jabber.org/goodinfo' to='${owner}' id='v3' type='get'><vCard xmlns='vcard-temp'/></iq>`);
      same(handleVcardIq(get, owner, store), `<iq xmlns='jabber:client' from='${owner}' to='jer@jabber.org/goodinfo' id='v3' type='result'>${CARD}</iq>`);
    });
  });

  it("another user's get with nothing stored: an empty <vCard/>", async () => {
    await withVcard((store, owner) => {
      const get = parse(`<iq xmlns='jabber:client' from='jer@jabber.org/goodinfo' to='${owner}' id='v3' type='get'><vCard xmlns='vcard-temp'/></iq>`);
      same(handleVcardIq(get, owner, store), `<iq xmlns='jabber:client' from='${owner}' to='jer@jabber.org/goodinfo' id='v3' type='result'><vCard xmlns='vcard-temp'/></iq>`);
    });
  });

  it("setting another user's vCard is forbidden and changes nothing", async () => {
    await withVcard((store, owner) => {
      const set = parse(`<iq xmlns='jabber:client' from='jer@jabber.org/goodinfo' to='${owner}' id='v4' type='set'><vCard xmlns='vcard-temp'><FN>Mallory</FN></vCard></iq>`);
      const reply = handleVcardIq(set, owner, store);
      expect(errorOf(reply)).toBe("forbidden");
      expect([reply.attrs.from, reply.attrs.to]).toEqual([owner, "jer@jabber.org/goodinfo"]);
      expect(store.get()).toBeNull();
    });
  });

  it(`a vCard over ${MAX_VCARD_BYTES} bytes is refused with policy-violation; one at the bound is kept`, async () => {
    await withVcard((store, owner) => {
      const shell = `<vCard xmlns="vcard-temp"><PHOTO><BINVAL></BINVAL></PHOTO></vCard>`;
      const card = (bytes: number) => shell.replace("<BINVAL></BINVAL>", `<BINVAL>${"A".repeat(bytes - shell.length)}</BINVAL>`);
      const over = handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='big' type='set'>${card(MAX_VCARD_BYTES + 1)}</iq>`), owner, store);
      expect(errorOf(over)).toBe("policy-violation");
      expect(over.getChild("error")!.attrs.type).toBe("modify");
      expect(store.get()).toBeNull();
      const at = handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='ok' type='set'>${card(MAX_VCARD_BYTES)}</iq>`), owner, store);
      expect(at.attrs.type).toBe("result");
      expect(new TextEncoder().encode(store.get()!).length).toBe(MAX_VCARD_BYTES);
    });
  });

  it("a payload that is not <vCard xmlns='vcard-temp'/> is bad-request", async () => {
    await withVcard((store, owner) => {
      for (const p of [`<vCard xmlns='urn:ietf:params:xml:ns:vcard-4.0'/>`, `<query xmlns='vcard-temp'/>`, ""]) {
        expect(errorOf(handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='x' type='set'>${p}</iq>`), owner, store))).toBe("bad-request");
      }
    });
  });

  it("deleteAll removes the vCard with the account", async () => {
    await withVcard((store, owner) => {
      handleVcardIq(parse(`<iq xmlns='jabber:client' from='${owner}/r' id='a' type='set'>${CARD}</iq>`), owner, store);
      store.deleteAll();
      expect(store.get()).toBeNull();
    });
  });

  it("advertises vcard-temp", () => expect([...VCARD_FEATURES]).toEqual(["vcard-temp"]));
});
