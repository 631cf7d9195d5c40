// XEP-0049 private XML storage: per-namespace get and set, only for oneself, reserved
// namespaces refused, bounded per account.
import { describe, expect, it } from "vitest";
import { parse } from "ltx";
import { errorOf, same, withStore } from "./support/xml-compare";
import { MAX_PRIVATE_BYTES, PrivateStore, handlePrivateIq } from "../../src/private-storage";


const withPrivate = <T>(f: (store: PrivateStore, owner: string) => T) => withStore("pv", "shakespeare.lit", (sql) => new PrivateStore(sql), f);
const iq = (owner: string, type: string, inner: string, id = "1001") =>
  parse(`<iq xmlns='jabber:client' from='${owner}/denmark' type='${type}' id='${id}'><query xmlns='jabber:iq:private'>${inner}</query></iq>`);

describe("private XML storage (XEP-0049)", () => {
  it("stores and retrieves a fragment by its namespace (the XEP's examples)", async () => {
    await withPrivate((store, owner) => {
      same(handlePrivateIq(iq(owner, "set", `<exodus xmlns='exodus:prefs'><defaultnick>Hamlet</defaultnick></exodus>`), owner, store),
        `<iq xmlns='jabber:client' type='result' id='1001' to='${owner}/denmark'/>`);
      same(handlePrivateIq(iq(owner, "get", `<exodus xmlns='exodus:prefs'/>`, "1002"), owner, store),
        `<iq xmlns='jabber:client' type='result' id='1002' to='${owner}/denmark'><query xmlns='jabber:iq:private'>
          <exodus xmlns='exodus:prefs'><defaultnick>Hamlet</defaultnick></exodus></query></iq>`);
    });
  });

  it("nothing stored: the requested element comes back empty", async () => {
    await withPrivate((store, owner) => {
      same(handlePrivateIq(iq(owner, "get", `<storage xmlns='storage:bookmarks'/>`), owner, store),
        `<iq xmlns='jabber:client' type='result' id='1001' to='${owner}/denmark'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`);
    });
  });

  it("namespaces are independent; a set replaces only its own namespace; several elements of one namespace are kept", async () => {
    await withPrivate((store, owner) => {
      handlePrivateIq(iq(owner, "set", `<storage xmlns='storage:bookmarks'><conference jid='a@muc.lit' autojoin='true'/></storage>`), owner, store);
      handlePrivateIq(iq(owner, "set", `<exodus xmlns='exodus:prefs'><a/></exodus><exodus xmlns='exodus:prefs'><b/></exodus>`), owner, store);
      handlePrivateIq(iq(owner, "set", `<storage xmlns='storage:bookmarks'><conference jid='b@muc.lit'/></storage>`), owner, store);
      same(handlePrivateIq(iq(owner, "get", `<storage xmlns='storage:bookmarks'/>`), owner, store).getChild("query", "jabber:iq:private")!,
        `<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='b@muc.lit'/></storage></query>`);
      same(handlePrivateIq(iq(owner, "get", `<exodus xmlns='exodus:prefs'/>`), owner, store).getChild("query", "jabber:iq:private")!,
        `<query xmlns='jabber:iq:private'><exodus xmlns='exodus:prefs'><a/></exodus><exodus xmlns='exodus:prefs'><b/></exodus></query>`);
    });
  });

  it("another user's storage is forbidden, for get and set", async () => {
    await withPrivate((store, owner) => {
      for (const type of ["get", "set"]) {
        const other = parse(`<iq xmlns='jabber:client' from='macbeth@shakespeare.lit/x' to='${owner}' type='${type}' id='1003'>
          <query xmlns='jabber:iq:private'><exodus xmlns='exodus:prefs'><defaultnick>Macbeth</defaultnick></exodus></query></iq>`);
        const reply = handlePrivateIq(other, owner, store);
        expect(errorOf(reply)).toBe("forbidden");
        expect([reply.attrs.from, reply.attrs.to, reply.attrs.id]).toEqual([owner, "macbeth@shakespeare.lit/x", "1003"]);
      }
      expect(store.get("exodus:prefs")).toBeNull();
    });
  });

  it("a query without a child is not-acceptable", async () => {
    await withPrivate((store, owner) => {
      for (const type of ["get", "set"]) {
        const reply = handlePrivateIq(iq(owner, type, "", "1004"), owner, store);
        expect(errorOf(reply)).toBe("not-acceptable");
        expect(reply.getChild("error")!.attrs.type).toBe("modify");
      }
    });
  });

  it("jabber:client, jabber:server and jabber:iq:private are refused with not-acceptable", async () => {
    await withPrivate((store, owner) => {
      for (const ns of ["jabber:client", "jabber:server", "jabber:iq:private"]) {
        for (const type of ["get", "set"]) {
          expect(errorOf(handlePrivateIq(iq(owner, type, `<x xmlns='${ns}'/>`), owner, store))).toBe("not-acceptable");
        }
      }
      // A child with no namespace of its own inherits jabber:iq:private: refused too.
      expect(errorOf(handlePrivateIq(iq(owner, "set", `<prefs/>`), owner, store))).toBe("not-acceptable");
      expect(store.bytes()).toBe(0);
    });
  });

  it("a get names one element; a set mixes no namespaces (bad-request)", async () => {
    await withPrivate((store, owner) => {
      expect(errorOf(handlePrivateIq(iq(owner, "get", `<a xmlns='urn:a'/><b xmlns='urn:b'/>`), owner, store))).toBe("bad-request");
      expect(errorOf(handlePrivateIq(iq(owner, "get", `<a xmlns='urn:a'/><a xmlns='urn:a'/>`), owner, store))).toBe("bad-request");
      expect(errorOf(handlePrivateIq(iq(owner, "set", `<a xmlns='urn:a'/><b xmlns='urn:b'/>`), owner, store))).toBe("bad-request");
      expect(store.bytes()).toBe(0);
    });
  });

  it(`the account's storage is bounded at ${MAX_PRIVATE_BYTES} bytes (policy-violation); replacing frees the old size`, async () => {
    await withPrivate((store, owner) => {
      const blob = (bytes: number) => `<d xmlns='urn:big'>${"x".repeat(bytes)}</d>`;
      expect(handlePrivateIq(iq(owner, "set", blob(MAX_PRIVATE_BYTES - 1000)), owner, store).attrs.type).toBe("result");
      const over = handlePrivateIq(iq(owner, "set", `<e xmlns='urn:other'>${"y".repeat(2000)}</e>`), owner, store);
      expect(errorOf(over)).toBe("policy-violation");
      expect(store.get("urn:other")).toBeNull();
      // Replacing the big namespace with something small is always possible.
      expect(handlePrivateIq(iq(owner, "set", blob(10)), owner, store).attrs.type).toBe("result");
      expect(handlePrivateIq(iq(owner, "set", `<e xmlns='urn:other'>${"y".repeat(2000)}</e>`), owner, store).attrs.type).toBe("result");
      expect(store.bytes()).toBeLessThan(3000);
      store.deleteAll();
      expect(store.bytes()).toBe(0);
    });
  });
});
