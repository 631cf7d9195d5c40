// XEP-0191 Blocking Command: the blocklist IQs, pushes, JID matching and the rules for
// stanzas to and from blocked JIDs.
import { describe, expect, it } from "vitest";
import { parse } from "ltx";
import { errorOf, same, withStore } from "./support/xml-compare";
import {
  BLOCKING_FEATURES, BlockStore, MAX_BLOCKED_JIDS, handleBlockingIq, inboundFromBlocked, isBlocked, matchingItems,
  outboundToBlocked,
} from "../../src/blocking";


const withBlocklist = <T>(f: (store: BlockStore, owner: string) => T) => withStore("blk", "capulet.com", (sql) => new BlockStore(sql), f);
const iq = (owner: string, type: string, inner: string, id = "b1") => parse(`<iq xmlns='jabber:client' from='${owner}/chamber' type='${type}' id='${id}'>${inner}</iq>`);
const B = "urn:xmpp:blocking";

describe("blocklist IQs (XEP-0191 §3)", () => {
  it("an empty blocklist is an empty <blocklist/>; the get marks the resource as interested", async () => {
    await withBlocklist((store, owner) => {
      const out = handleBlockingIq(iq(owner, "get", `<blocklist xmlns='${B}'/>`, "blocklist1"), { ownerBare: owner, store, interested: [] });
      same(out.reply, `<iq xmlns='jabber:client' type='result' id='blocklist1' to='${owner}/chamber'><blocklist xmlns='urn:xmpp:blocking'/></iq>`);
      expect(out.requestedList).toBe(true);
      expect(out.pushes).toEqual([]);
    });
  });

  it("block: result, a push to each interested resource, the newly blocked JIDs; then the list", async () => {
    await withBlocklist((store, owner) => {
      const interested = [`${owner}/chamber`, `${owner}/balcony`];
      const out = handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'><item jid='romeo@montague.net'/><item jid='Iago@Shakespeare.lit'/></block>`, "block1"),
        { ownerBare: owner, store, interested });
      same(out.reply, `<iq xmlns='jabber:client' type='result' id='block1' to='${owner}/chamber'/>`);
      expect(out.requestedList).toBe(false);
      expect(out.blocked).toEqual(["romeo@montague.net", "iago@shakespeare.lit"]);
      expect(out.pushes).toHaveLength(2);
      out.pushes.forEach((p, i) => {
        expect(p.attrs.id).toBeTruthy();
        delete p.attrs.id;
        same(p, `<iq xmlns='jabber:client' to='${interested[i]}' type='set'><block xmlns='urn:xmpp:blocking'>
          <item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/></block></iq>`);
      });
      const list = handleBlockingIq(iq(owner, "get", `<blocklist xmlns='${B}'/>`), { ownerBare: owner, store, interested });
      same(list.reply, `<iq xmlns='jabber:client' type='result' id='b1' to='${owner}/chamber'><blocklist xmlns='urn:xmpp:blocking'>
        <item jid='iago@shakespeare.lit'/><item jid='romeo@montague.net'/></blocklist></iq>`);
    });
  });

  it("blocking an already blocked JID succeeds and reports nothing new", async () => {
    await withBlocklist((store, owner) => {
      const ctx = { ownerBare: owner, store, interested: [] };
      handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'><item jid='romeo@montague.net'/></block>`), ctx);
      const again = handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'><item jid='romeo@montague.net'/></block>`), ctx);
      expect(again.reply.attrs.type).toBe("result");
      expect(again.blocked).toEqual([]);
      expect(store.list()).toEqual(["romeo@montague.net"]);
    });
  });

  it("an empty <block/> is bad-request; a malformed item is jid-malformed; nothing is stored", async () => {
    await withBlocklist((store, owner) => {
      const ctx = { ownerBare: owner, store, interested: [`${owner}/chamber`] };
      const empty = handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'/>`), ctx);
      expect(errorOf(empty.reply)).toBe("bad-request");
      expect(empty.reply.getChild("error")!.attrs.type).toBe("modify");
      for (const bad of [`<item jid='a@b@c'/>`, `<item jid=''/>`, `<item/>`, `<item jid='ok@x'/><item jid='bad@'/>`]) {
        const out = handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'>${bad}</block>`), ctx);
        expect(errorOf(out.reply)).toBe("jid-malformed");
        expect(out.pushes).toEqual([]);
      }
      expect(store.count()).toBe(0);
    });
  });

  it("unblock some: result, pushes, the JIDs that were blocked", async () => {
    await withBlocklist((store, owner) => {
      const ctx = { ownerBare: owner, store, interested: [`${owner}/balcony`] };
      handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'><item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/></block>`), ctx);
      const out = handleBlockingIq(iq(owner, "set", `<unblock xmlns='${B}'><item jid='romeo@montague.net'/><item jid='never@blocked.example'/></unblock>`, "unblock1"), ctx);
      same(out.reply, `<iq xmlns='jabber:client' type='result' id='unblock1' to='${owner}/chamber'/>`);
      expect(out.unblocked).toEqual(["romeo@montague.net"]);
      delete out.pushes[0]!.attrs.id;
      same(out.pushes[0]!, `<iq xmlns='jabber:client' to='${owner}/balcony' type='set'><unblock xmlns='urn:xmpp:blocking'>
        <item jid='romeo@montague.net'/><item jid='never@blocked.example'/></unblock></iq>`);
      expect(store.list()).toEqual(["iago@shakespeare.lit"]);
    });
  });

  it("unblock all: an empty <unblock/> empties the list and pushes an empty <unblock/>", async () => {
    await withBlocklist((store, owner) => {
      const ctx = { ownerBare: owner, store, interested: [`${owner}/chamber`, `${owner}/balcony`] };
      handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'><item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/></block>`), ctx);
      const out = handleBlockingIq(iq(owner, "set", `<unblock xmlns='${B}'/>`, "unblock2"), ctx);
      expect(out.reply.attrs.type).toBe("result");
      expect(out.unblocked.sort()).toEqual(["iago@shakespeare.lit", "romeo@montague.net"]);
      for (const p of out.pushes) {
        delete p.attrs.id;
        expect(p.getChild("unblock", B)!.getChildElements()).toEqual([]);
      }
      expect(out.pushes.map((p) => p.attrs.to)).toEqual(ctx.interested);
      expect(store.count()).toBe(0);
    });
  });

  it(`a blocklist is bounded at ${MAX_BLOCKED_JIDS} JIDs: policy-violation, nothing stored`, async () => {
    await withBlocklist((store, owner) => {
      store.add(Array.from({ length: MAX_BLOCKED_JIDS - 1 }, (_, i) => `u${i}@spam.example`));
      const ctx = { ownerBare: owner, store, interested: [] };
      const two = handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'><item jid='a@x.example'/><item jid='b@x.example'/></block>`), ctx);
      expect(errorOf(two.reply)).toBe("policy-violation");
      expect(store.count()).toBe(MAX_BLOCKED_JIDS - 1);
      const one = handleBlockingIq(iq(owner, "set", `<block xmlns='${B}'><item jid='a@x.example'/><item jid='u1@spam.example'/></block>`), ctx);
      expect(one.reply.attrs.type).toBe("result");
      expect(store.count()).toBe(MAX_BLOCKED_JIDS);
    });
  });

  it("someone else's blocklist is forbidden; a result/unknown element is bad-request", async () => {
    await withBlocklist((store, owner) => {
      const other = parse(`<iq xmlns='jabber:client' from='romeo@montague.net/x' to='${owner}' type='set' id='z'><block xmlns='${B}'><item jid='a@b'/></block></iq>`);
      expect(errorOf(handleBlockingIq(other, { ownerBare: owner, store, interested: [] }).reply)).toBe("forbidden");
      expect(errorOf(handleBlockingIq(iq(owner, "set", `<blocklist xmlns='${B}'/>`), { ownerBare: owner, store, interested: [] }).reply)).toBe("bad-request");
      expect(errorOf(handleBlockingIq(iq(owner, "get", `<block xmlns='${B}'><item jid='a@b'/></block>`), { ownerBare: owner, store, interested: [] }).reply)).toBe("bad-request");
      expect(store.count()).toBe(0);
    });
  });

  it("advertises urn:xmpp:blocking", () => expect([...BLOCKING_FEATURES]).toEqual(["urn:xmpp:blocking"]));
});

describe("JID matching (XEP-0191 §5)", () => {
  it("lists the items that match a full JID, most specific first", () => {
    expect(matchingItems("romeo@montague.net/orchard")).toEqual(["romeo@montague.net/orchard", "romeo@montague.net", "montague.net/orchard", "montague.net", "net"]);
  });

  const cases: [string, string, boolean][] = [
    ["romeo@montague.net/orchard", "romeo@montague.net/orchard", true],
    ["romeo@montague.net/orchard", "romeo@montague.net/garden", false],
    ["romeo@montague.net", "romeo@montague.net/garden", true],
    ["romeo@montague.net", "romeo@montague.net", true],
    ["romeo@montague.net", "benvolio@montague.net/x", false],
    ["montague.net/orchard", "romeo@montague.net/orchard", true],
    ["montague.net/orchard", "montague.net/orchard", true],
    ["montague.net/orchard", "romeo@montague.net/garden", false],
    ["montague.net", "romeo@montague.net/garden", true],
    ["montague.net", "montague.net", true],
    ["montague.net", "nurse@chat.montague.net", true],
    ["montague.net", "capulet.net", false],
    ["montague.net", "evilmontague.net", false],
    ["romeo@montague.net/orchard", "romeo@montague.net", false],
  ];
  for (const [item, jid, want] of cases) {
    it(`item ${item} ${want ? "blocks" : "does not block"} ${jid}`, () => expect(isBlocked([item], jid)).toBe(want));
  }

  it("compares normalised JIDs; a malformed JID matches nothing", () => {
    expect(isBlocked(new Set(["romeo@montague.net"]), "Romeo@MONTAGUE.net/x")).toBe(true);
    expect(isBlocked(["romeo@montague.net"], "not a jid@@")).toBe(false);
  });
});

describe("stanzas to and from a blocked JID (XEP-0191 §3.3)", () => {
  it("outbound message: not-acceptable plus <blocked/>, type cancel, as the XEP's example", () => {
    const m = parse(`<message xmlns='jabber:client' from='juliet@capulet.com/chamber' to='romeo@montague.net' id='x1'><body>Can you hear me now?</body></message>`);
    const out = outboundToBlocked(m);
    expect(out.action).toBe("reply");
    if (out.action !== "reply") return;
    same(out.stanza, `<message xmlns='jabber:client' type='error' from='romeo@montague.net' to='juliet@capulet.com/chamber' id='x1'>
      <body>Can you hear me now?</body>
      <error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><blocked xmlns='urn:xmpp:blocking:errors'/></error></message>`);
  });

  it("outbound IQ request and directed presence are refused the same way; responses are dropped", () => {
    const get = parse(`<iq xmlns='jabber:client' from='juliet@capulet.com/c' to='romeo@montague.net/o' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>`);
    const r = outboundToBlocked(get);
    expect(r.action === "reply" && r.stanza.getChild("error")!.getChild("blocked", "urn:xmpp:blocking:errors") !== undefined).toBe(true);
    const pres = parse(`<presence xmlns='jabber:client' from='juliet@capulet.com/c' to='romeo@montague.net'/>`);
    expect(outboundToBlocked(pres).action).toBe("reply");
    for (const s of [`<iq xmlns='jabber:client' type='result' id='1' to='romeo@montague.net/o'/>`,
      `<message xmlns='jabber:client' type='error' to='romeo@montague.net'><error type='cancel'/></message>`]) {
      expect(outboundToBlocked(parse(s)).action).toBe("drop");
    }
  });

  it("inbound message and IQ get/set: service-unavailable from the user", () => {
    const m = parse(`<message xmlns='jabber:client' from='romeo@montague.net/o' to='juliet@capulet.com' type='chat' id='m1'><body>hi</body></message>`);
    const out = inboundFromBlocked(m);
    expect(out.action === "reply" && errorOf(out.stanza)).toBe("service-unavailable");
    if (out.action === "reply") expect([out.stanza.attrs.from, out.stanza.attrs.to, out.stanza.attrs.id]).toEqual(["juliet@capulet.com", "romeo@montague.net/o", "m1"]);
    for (const type of ["get", "set"]) {
      const q = parse(`<iq xmlns='jabber:client' from='romeo@montague.net/o' to='juliet@capulet.com/c' type='${type}' id='i'><query xmlns='jabber:iq:version'/></iq>`);
      const r = inboundFromBlocked(q);
      expect(r.action === "reply" && errorOf(r.stanza)).toBe("service-unavailable");
    }
  });

  it("inbound presence of every kind, IQ results and errors are dropped silently", () => {
    for (const s of [
      `<presence xmlns='jabber:client' from='romeo@montague.net/o' to='juliet@capulet.com'/>`,
      `<presence xmlns='jabber:client' from='romeo@montague.net' to='juliet@capulet.com' type='subscribe'/>`,
      `<presence xmlns='jabber:client' from='romeo@montague.net' to='juliet@capulet.com' type='probe'/>`,
      `<iq xmlns='jabber:client' from='romeo@montague.net/o' to='juliet@capulet.com/c' type='result' id='1'/>`,
      `<iq xmlns='jabber:client' from='romeo@montague.net/o' to='juliet@capulet.com/c' type='error' id='1'><error type='cancel'/></iq>`,
      `<message xmlns='jabber:client' from='romeo@montague.net/o' to='juliet@capulet.com' type='error'><error type='cancel'/></message>`,
    ]) expect(inboundFromBlocked(parse(s)).action).toBe("drop");
  });
});
