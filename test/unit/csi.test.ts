// XEP-0352 Client State Indication (urn:xmpp:csi:0): the nonzas, what is held while
// inactive, and the durable hold-back buffer inside a Durable Object's SQLite.
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { parse } from "ltx";
import { csiDecide, csiFeature, csiRequest, NS_CSI } from "../../src/csi/csi";
import { CsiStore, MAX_HELD } from "../../src/csi/hold-store";
import { csiFilter, onCsiNonza } from "../../src/csi/csi-glue";
import { isCountedStanza } from "../../src/stream-management/namespace";
import { unique } from "./support/socket";

async function withStore<T>(f: (store: CsiStore) => T | Promise<T>, name = `${unique("csi")}@localhost`): Promise<T> {
  return runInDurableObject(env.ACCOUNT.getByName(name), async (_obj, state) => f(new CsiStore(state.storage.sql)));
}

const pres = (from: string, extra = "") => `<presence xmlns="jabber:client" from="${from}" to="alice@localhost/phone"${extra}/>`;

describe("XEP-0352 nonzas", () => {
  it("offers <csi xmlns='urn:xmpp:csi:0'/>", () => {
    expect(NS_CSI).toBe("urn:xmpp:csi:0");
    expect(csiFeature().toString()).toBe(parse("<csi xmlns='urn:xmpp:csi:0'/>").toString());
  });

  it("reads <active/> and <inactive/> in its namespace only; they are not counted by XEP-0198", () => {
    expect(csiRequest(parse("<active xmlns='urn:xmpp:csi:0'/>"))).toBe("active");
    expect(csiRequest(parse("<inactive xmlns='urn:xmpp:csi:0'/>"))).toBe("inactive");
    expect(csiRequest(parse("<inactive xmlns='urn:xmpp:csi:1'/>"))).toBeNull();
    expect(csiRequest(parse("<idle xmlns='urn:xmpp:csi:0'/>"))).toBeNull();
    expect(isCountedStanza(parse("<active xmlns='urn:xmpp:csi:0'/>"))).toBe(false);
  });
});

describe("what an inactive client gets at once", () => {
  const decide = (xml: string) => csiDecide("inactive", parse(xml));

  it("holds presence updates (available and unavailable), keyed by the sender's full JID", () => {
    expect(decide(pres("bob@localhost/pc"))).toEqual({ kind: "hold", key: "bob@localhost/pc" });
    expect(decide(pres("bob@localhost/pc", ' type="unavailable"'))).toEqual({ kind: "hold", key: "bob@localhost/pc" });
  });

  it("passes messages (with or without a body), IQs and presence that is not an update", () => {
    expect(decide(`<message xmlns="jabber:client" from="bob@localhost/pc"><body>hi</body></message>`)).toEqual({ kind: "pass" });
    expect(decide(`<message xmlns="jabber:client" from="bob@localhost/pc"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`)).toEqual({ kind: "pass" });
    expect(decide(`<iq xmlns="jabber:client" type="get" id="1" from="bob@localhost/pc"/>`)).toEqual({ kind: "pass" });
    for (const t of ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"]) {
      expect(decide(pres("bob@localhost", ` type="${t}"`))).toEqual({ kind: "pass" });
    }
  });

  it("passes everything while active", () => {
    expect(csiDecide("active", parse(pres("bob@localhost/pc")))).toEqual({ kind: "pass" });
  });
});

describe("CsiStore: the hold-back buffer", () => {
  it("starts active, holds the latest presence per sender while inactive, flushes in arrival order on active", async () => {
    await withStore((store) => {
      expect(store.state("c1")).toBe("active");
      expect(store.setState("c1", "inactive")).toEqual([]);
      expect(store.state("c1")).toBe("inactive");
      expect(store.hold("c1", "bob@localhost/pc", pres("bob@localhost/pc", ' id="1"'))).toEqual({ kind: "held" });
      expect(store.hold("c1", "carol@localhost/x", pres("carol@localhost/x"))).toEqual({ kind: "held" });
      expect(store.hold("c1", "bob@localhost/pc", pres("bob@localhost/pc", ' type="unavailable"'))).toEqual({ kind: "held" });
      expect(store.count("c1")).toBe(2);
      // Another owner in the same table is separate.
      store.setState("c2", "inactive");
      store.hold("c2", "bob@localhost/pc", pres("bob@localhost/pc"));
      expect(store.setState("c1", "active")).toEqual([pres("carol@localhost/x"), pres("bob@localhost/pc", ' type="unavailable"')]);
      expect(store.state("c1")).toBe("active");
      expect(store.count("c1")).toBe(0);
      expect(store.count("c2")).toBe(1);
    });
  });

  it("survives a second visit to the object (nothing lost on a restart)", async () => {
    const name = `${unique("csi")}@localhost`;
    await withStore((store) => {
      store.setState("c1", "inactive");
      store.hold("c1", "bob@localhost/pc", pres("bob@localhost/pc"));
    }, name);
    await withStore((store) => {
      expect(store.state("c1")).toBe("inactive");
      expect(store.setState("c1", "active")).toEqual([pres("bob@localhost/pc")]);
    }, name);
  });

  it(`is bounded: past ${MAX_HELD} senders everything held goes out with the new one, nothing lost`, async () => {
    await withStore((store) => {
      store.setState("c1", "inactive");
      const held: string[] = [];
      for (let i = 0; i < MAX_HELD; i++) {
        held.push(pres(`u${i}@localhost/r`));
        expect(store.hold("c1", `u${i}@localhost/r`, held[i]!)).toEqual({ kind: "held" });
      }
      // A sender already held is replaced in place of growing the buffer.
      expect(store.hold("c1", "u0@localhost/r", pres("u0@localhost/r", ' id="new"'))).toEqual({ kind: "held" });
      const out = store.hold("c1", "extra@localhost/r", pres("extra@localhost/r"));
      expect(out.kind).toBe("flush");
      if (out.kind !== "flush") return;
      expect(out.stanzas).toHaveLength(MAX_HELD + 1);
      expect(out.stanzas[0]).toBe(held[1]);
      expect(out.stanzas.at(-2)).toBe(pres("u0@localhost/r", ' id="new"'));
      expect(out.stanzas.at(-1)).toBe(pres("extra@localhost/r"));
      expect(store.count("c1")).toBe(0);
      expect(store.state("c1")).toBe("inactive");
    });
  });

  it("forget() drops the state and returns what was held (the stream ended)", async () => {
    await withStore((store) => {
      store.setState("c1", "inactive");
      store.hold("c1", "bob@localhost/pc", pres("bob@localhost/pc"));
      expect(store.forget("c1")).toEqual([pres("bob@localhost/pc")]);
      expect(store.state("c1")).toBe("active");
    });
  });
});

describe("the connection object's CSI glue", () => {
  it("an inactive client gets messages at once, presence on <active/>; the nonzas are never answered", async () => {
    await withStore((store) => {
      const p1 = pres("bob@localhost/pc");
      const body = `<message xmlns="jabber:client" from="bob@localhost/pc"><body>hi</body></message>`;
      expect(onCsiNonza(store, "c1", parse("<inactive xmlns='urn:xmpp:csi:0'/>"))).toEqual([]);
      expect(csiFilter(store, "c1", parse(p1), p1)).toEqual([]);
      expect(csiFilter(store, "c1", parse(body), body)).toEqual([body]);
      expect(onCsiNonza(store, "c1", parse("<active xmlns='urn:xmpp:csi:0'/>"))).toEqual([p1]);
      expect(csiFilter(store, "c1", parse(p1), p1)).toEqual([p1]);
      expect(onCsiNonza(store, "c1", parse("<r xmlns='urn:xmpp:sm:3'/>"))).toBeNull();
    });
  });
});
