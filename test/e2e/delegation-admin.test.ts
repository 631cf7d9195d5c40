// XEP-0355 v0.5 admin mode end to end, over real sockets: the PEP component
// deleg.comp.localhost manages pubsub, pubsub#owner, MAM (filtered on `node`) and
// both bare-JID disco pseudo-namespaces for deleg.localhost (test/e2e/support/config.ts).
// Checklist numbers (#n) refer to /work/shared/xep0355.md.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { RawXmpp, type Element, stanzaError } from "./support/raw-client";

const HOST = "deleg.localhost";
const COMP = "deleg.comp.localhost";
const SECRET = "deleg-secret";
const DNS = "urn:xmpp:delegation:2";
const FWD = "urn:xmpp:forward:0";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const OWNER = "http://jabber.org/protocol/pubsub#owner";
const MAM = "urn:xmpp:mam:2";
const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";
const NESTED = [PUBSUB, OWNER, MAM];

type Comp = RawXmpp;
type Client = RawXmpp & { jid: string };

/** The forwarded IQ (outer IQ from the host with <delegation><forwarded><iq/>) the component receives next. */
async function nextForward(comp: Comp, ms = 5000): Promise<{ outer: Element; inner: Element }> {
  const outer = await comp.next((el) => el.getName() === "iq" && el.attrs.type === "set" && !!el.getChild("delegation", DNS), ms);
  const inner = outer.getChild("delegation", DNS)!.getChild("forwarded", FWD)!.getChild("iq")!;
  return { outer, inner };
}

/** The component's wrapped answer to a forwarded request. */
function wrappedReply(outer: Element, innerXml: string, type = "result"): string {
  return `<iq xmlns='jabber:component:accept' from='${COMP}' to='${outer.attrs.from}' type='${type}' id='${outer.attrs.id}'>` +
    `<delegation xmlns='${DNS}'><forwarded xmlns='${FWD}'>${innerXml}</forwarded></delegation></iq>`;
}

/** Answers the disco nesting queries the gateway sends on connect (§Disco nesting). */
async function answerNesting(comp: Comp, features: (node: string) => string): Promise<string[]> {
  const nodes: string[] = [];
  for (let i = 0; i < NESTED.length * 2; i++) {
    const q = await comp.next((el) => el.getName() === "iq" && el.attrs.type === "get" && !!el.getChild("query", INFO));
    const node = q.getChild("query", INFO)!.attrs.node as string;
    nodes.push(node);
    expect(q.attrs.from).toBe(HOST);
    comp.send(`<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='result' id='${q.attrs.id}'><query xmlns='${INFO}' node='${node}'>${features(node)}</query></iq>`);
  }
  return nodes.sort();
}

const V1 = (node: string) =>
  node === `${DNS}::${PUBSUB}`
    ? `<identity category='pubsub' type='service' name='PEP service'/><feature var='${PUBSUB}#publish'/><feature var='${PUBSUB}#retrieve-items'/>` +
      `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:pep-info</value></field><field var='max-items'><value>42</value></field></x>`
    : node === `${DNS}:bare:${PUBSUB}`
      ? `<identity category='pubsub' type='pep'/><feature var='${PUBSUB}#publish-options'/>`
      : node === `${DNS}::${MAM}`
        ? `<feature var='${MAM}'/>`
        : "";

async function user(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await createUser(`${name}@${HOST}`);
  return name;
}

async function login(name: string, resource = "r"): Promise<Client> {
  return RawXmpp.login(gatewayUrl(), { username: name, domain: HOST, resource });
}

async function connectComponent(): Promise<Comp> {
  const comp = await RawXmpp.component(gatewayUrl(), COMP, SECRET);
  await comp.next((el) => el.getName() === "message" && !!el.getChild("delegation", DNS));
  await answerNesting(comp, V1);
  return comp;
}

let comp: Comp;
let alice: string;
let bob: string;

beforeAll(async () => {
  alice = await user("alice");
  bob = await user("bob");
});

afterAll(() => {
  comp?.close();
});

describe("advertisement and disco nesting on connect (#7-#10, #29, #31)", () => {
  it("sends <delegation/> with every delegated namespace and its filtering attributes, then queries every nesting node", async () => {
    comp = await RawXmpp.component(gatewayUrl(), COMP, SECRET);
    const adv = await comp.next((el) => el.getName() === "message");
    expect(adv.attrs.from).toBe(HOST);
    expect(adv.attrs.to).toBe(COMP);
    expect(adv.attrs.id).toBeTruthy();
    const d = adv.getChild("delegation", DNS)!;
    expect(d.toString()).toBe(
      `<delegation xmlns="${DNS}"><delegated namespace="${PUBSUB}"/><delegated namespace="${OWNER}"/>` +
        `<delegated namespace="${MAM}"><attribute name="node"/></delegated>` +
        `<delegated namespace="${DNS}:bare:disco#info:*"/><delegated namespace="${DNS}:bare:disco#items:*"/></delegation>`,
    );
    const nodes = await answerNesting(comp, V1);
    expect(nodes).toEqual(NESTED.flatMap((ns) => [`${DNS}::${ns}`, `${DNS}:bare:${ns}`]).sort());
  });
});

describe("forwarding (#11, #15-#17): PEP", () => {
  it("forwards a publish to the user's own PEP (no 'to') with to = bare JID, and unwraps the answer", async () => {
    const a = await login(alice, "laptop");
    a.send(`<iq xmlns='jabber:client' type='set' id='pub1'><pubsub xmlns='${PUBSUB}'><publish node='urn:xmpp:avatar:metadata'><item id='h1'><metadata xmlns='urn:xmpp:avatar:metadata'/></item></publish></pubsub></iq>`);
    const { outer, inner } = await nextForward(comp);
    expect(outer.attrs.from).toBe(HOST);
    expect(outer.attrs.to).toBe(COMP);
    expect(outer.attrs.id).not.toBe("pub1");
    expect(inner.attrs.xmlns).toBe("jabber:client");
    expect(inner.attrs.from).toBe(a.jid);
    expect(inner.attrs.to).toBe(`${alice}@${HOST}`);
    expect(inner.attrs.id).toBe("pub1");
    expect(inner.attrs.type).toBe("set");
    expect(inner.getChild("pubsub", PUBSUB)!.getChild("publish")!.attrs.node).toBe("urn:xmpp:avatar:metadata");
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='pub1'><pubsub xmlns='${PUBSUB}'><publish node='urn:xmpp:avatar:metadata'><item id='h1'/></publish></pubsub></iq>`));
    const reply = await a.next((el) => el.getName() === "iq" && el.attrs.id === "pub1");
    expect(reply.attrs.type).toBe("result");
    expect(reply.attrs.from).toBe(`${alice}@${HOST}`);
    expect(reply.attrs.to).toBe(a.jid);
    expect(reply.getChild("pubsub", PUBSUB)!.getChild("publish")!.getChild("item")!.attrs.id).toBe("h1");
    // the component's answer to the outer IQ is not echoed back to it
    await comp.nothing((el) => el.getName() === "iq" && el.attrs.id === outer.attrs.id, 300);
    a.close();
  });

  it("forwards an IQ to the host itself, and the answer comes from the host", async () => {
    const a = await login(alice, "h");
    a.send(`<iq xmlns='jabber:client' type='get' id='own1' to='${HOST}'><pubsub xmlns='${OWNER}'><subscriptions node='n'/></pubsub></iq>`);
    const { outer, inner } = await nextForward(comp);
    expect(inner.attrs.to).toBe(HOST);
    expect(inner.attrs.from).toBe(a.jid);
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' from='${HOST}' to='${a.jid}' type='result' id='own1'/>`));
    const reply = await a.next((el) => el.attrs.id === "own1");
    expect(reply.attrs).toMatchObject({ type: "result", from: HOST, to: a.jid });
    a.close();
  });

  it("forwards another user's IQ to a bare JID, even when that user is offline (#11)", async () => {
    const b = await login(bob, "phone");
    b.send(`<iq xmlns='jabber:client' type='get' id='items1' to='${alice}@${HOST}'><pubsub xmlns='${PUBSUB}'><items node='urn:xmpp:avatar:data'/></pubsub></iq>`);
    const { outer, inner } = await nextForward(comp);
    expect(inner.attrs).toMatchObject({ from: b.jid, to: `${alice}@${HOST}`, id: "items1", type: "get" });
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' from='${alice}@${HOST}' to='${b.jid}' type='result' id='items1'><pubsub xmlns='${PUBSUB}'><items node='urn:xmpp:avatar:data'/></pubsub></iq>`));
    const reply = await b.next((el) => el.attrs.id === "items1");
    expect(reply.attrs).toMatchObject({ type: "result", from: `${alice}@${HOST}`, to: b.jid });
    b.close();
  });

  it("forwards a component's IQ to a bare JID, and the answer reaches that component", async () => {
    const other = await RawXmpp.component(gatewayUrl(), "comp.localhost", "comp-secret");
    other.send(`<iq xmlns='jabber:component:accept' from='comp.localhost' to='${alice}@${HOST}' type='get' id='c1'><pubsub xmlns='${PUBSUB}'><items node='x'/></pubsub></iq>`);
    const { outer, inner } = await nextForward(comp);
    expect(inner.attrs).toMatchObject({ from: "comp.localhost", to: `${alice}@${HOST}`, id: "c1" });
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='comp.localhost' type='result' id='c1'/>`));
    const reply = await other.next((el) => el.attrs.id === "c1");
    expect(reply.attrs).toMatchObject({ type: "result", from: `${alice}@${HOST}`, to: "comp.localhost", xmlns: "jabber:component:accept" });
    other.close();
  });

  it("passes an inner stanza error (item-not-found) to the sender as it is", async () => {
    const a = await login(alice, "e");
    a.send(`<iq xmlns='jabber:client' type='get' id='nf1'><pubsub xmlns='${PUBSUB}'><items node='missing'/></pubsub></iq>`);
    const { outer } = await nextForward(comp);
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='error' id='nf1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`));
    const reply = await a.next((el) => el.attrs.id === "nf1");
    expect(reply.attrs.type).toBe("error");
    expect(stanzaError(reply)).toEqual({ type: "cancel", condition: "item-not-found" });
    a.close();
  });
});

describe("which IQs are forwarded (#12-#14)", () => {
  it("MAM with a node is forwarded; MAM without one is handled as if nothing were delegated (#12)", async () => {
    const a = await login(alice, "mam");
    a.send(`<iq xmlns='jabber:client' type='set' id='mam1'><query xmlns='${MAM}' node='urn:xmpp:microblog:0' queryid='f1'/></iq>`);
    const { outer, inner } = await nextForward(comp);
    expect(inner.getChild("query", MAM)!.attrs.node).toBe("urn:xmpp:microblog:0");
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='mam1'><fin xmlns='${MAM}' complete='true'/></iq>`));
    const r1 = await a.next((el) => el.attrs.id === "mam1");
    expect(r1.attrs.type).toBe("result");
    expect(r1.getChild("fin", MAM)!.attrs.complete).toBe("true");

    a.send(`<iq xmlns='jabber:client' type='set' id='mam2'><query xmlns='${MAM}' queryid='f2'/></iq>`);
    const r2 = await a.next((el) => el.attrs.id === "mam2");
    // answered from the user's own archive (issue 11): an empty, complete result
    expect(r2.attrs.type).toBe("result");
    expect(r2.getChild("fin", MAM)!.attrs.complete).toBe("true");
    await comp.nothing((el) => !!el.getChild("delegation", DNS), 500);
    a.close();
  });

  it("never forwards the managing entity's own IQs back to it (#13)", async () => {
    comp.send(`<iq xmlns='jabber:component:accept' from='${COMP}' to='${alice}@${HOST}' type='get' id='self1'><pubsub xmlns='${PUBSUB}'><items node='x'/></pubsub></iq>`);
    const r = await comp.next((el) => el.attrs.id === "self1");
    expect(r.attrs.type).toBe("error");
    expect(stanzaError(r).condition).toBe("service-unavailable");
    await comp.nothing((el) => !!el.getChild("delegation", DNS), 300);
    comp.send(`<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='get' id='self2'><pubsub xmlns='${PUBSUB}'/></iq>`);
    const r2 = await comp.next((el) => el.attrs.id === "self2");
    expect(stanzaError(r2).condition).toBe("service-unavailable");
    await comp.nothing((el) => !!el.getChild("delegation", DNS), 300);
  });

  it("does not forward IQs to full JIDs, nor results and errors (#14)", async () => {
    const a = await login(alice, "full");
    const b = await login(bob, "full");
    b.send(`<iq xmlns='jabber:client' type='get' id='full1' to='${a.jid}'><pubsub xmlns='${PUBSUB}'><items node='x'/></pubsub></iq>`);
    const got = await a.next((el) => el.attrs.id === "full1");
    expect(got.attrs.from).toBe(b.jid);
    a.send(`<iq xmlns='jabber:client' type='result' id='res1' to='${alice}@${HOST}'><pubsub xmlns='${PUBSUB}'/></iq>`);
    a.send(`<iq xmlns='jabber:client' type='result' id='res2' to='${HOST}'><pubsub xmlns='${PUBSUB}'/></iq>`);
    await comp.nothing((el) => !!el.getChild("delegation", DNS), 600);
    a.close();
    b.close();
  });

  it("answers forbidden to a request in urn:xmpp:delegation:2 itself (#6)", async () => {
    const a = await login(alice, "forbid");
    const r = await a.iq(`<iq xmlns='jabber:client' type='get' id='fb1' to='${HOST}'><query xmlns='${DNS}'/></iq>`, "fb1");
    expect(stanzaError(r)).toEqual({ type: "auth", condition: "forbidden" });
    expect(r.attrs.from).toBe(HOST);
    const r2 = await a.iq(`<iq xmlns='jabber:client' type='set' id='fb2'><delegation xmlns='${DNS}'/></iq>`, "fb2");
    expect(stanzaError(r2).condition).toBe("forbidden");
    await comp.nothing((el) => !!el.getChild("delegation", DNS), 300);
    a.close();
  });
});

describe("bad answers from the managing entity (#17, #18, #20)", () => {
  const cases: Array<[string, (jid: string, id: string) => string, string?]> = [
    ["an inner 'to' that is not the sender", (_jid, id) => `<iq xmlns='jabber:client' to='mallory@${HOST}/x' type='result' id='${id}'/>`],
    ["an inner 'from' that is not the original 'to'", (jid, id) => `<iq xmlns='jabber:client' from='${bob}@${HOST}' to='${jid}' type='result' id='${id}'/>`],
    ["an inner id that is not the original id", (jid) => `<iq xmlns='jabber:client' to='${jid}' type='result' id='other'/>`],
    ["an inner type that is not result/error", (jid, id) => `<iq xmlns='jabber:client' to='${jid}' type='set' id='${id}'/>`],
    ["no wrapped IQ at all", () => ``],
    ["an outer error (N.B. 2)", (jid, id) => `<iq xmlns='jabber:client' to='${jid}' type='result' id='${id}'/>`, "error"],
  ];
  for (const [label, inner, outerType] of cases) {
    it(`answers service-unavailable for ${label}`, async () => {
      const a = await login(alice, "bad");
      const id = uniqueName("bad");
      a.send(`<iq xmlns='jabber:client' type='get' id='${id}'><pubsub xmlns='${PUBSUB}'><items node='n'/></pubsub></iq>`);
      const { outer } = await nextForward(comp);
      comp.send(wrappedReply(outer, inner(a.jid, id), outerType));
      const r = await a.next((el) => el.attrs.id === id);
      expect(r.attrs).toMatchObject({ type: "error", from: `${alice}@${HOST}`, to: a.jid });
      expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
      await a.nothing((el) => el.attrs.id === id || el.attrs.id === "other", 300);
      a.close();
    });
  }

  it("drops a reply to a request the component was never sent, and one from another component", async () => {
    const a = await login(alice, "drop");
    a.send(`<iq xmlns='jabber:client' type='get' id='dr1'><pubsub xmlns='${PUBSUB}'><items node='n'/></pubsub></iq>`);
    const { outer } = await nextForward(comp);
    // comp.localhost replays the outer id: not its request, dropped
    const other = await RawXmpp.component(gatewayUrl(), "comp.localhost", "comp-secret");
    other.send(
      `<iq xmlns='jabber:component:accept' from='comp.localhost' to='${HOST}' type='result' id='${outer.attrs.id}'><delegation xmlns='${DNS}'><forwarded xmlns='${FWD}'>` +
        `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='dr1'><forged/></iq></forwarded></delegation></iq>`,
    );
    // the managing component answers an id it was never sent
    comp.send(wrappedReply({ attrs: { from: HOST, id: "never-sent" } } as unknown as Element, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='dr1'/>`));
    await a.nothing((el) => el.attrs.id === "dr1", 600);
    await other.nothing(() => true, 200);
    await comp.nothing((el) => el.attrs.id === "never-sent", 200);
    // the real answer still goes through
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='dr1'><real xmlns='urn:example'/></iq>`));
    const r = await a.next((el) => el.attrs.id === "dr1");
    expect(r.attrs.type).toBe("result");
    expect(r.getChild("real", "urn:example")).toBeDefined();
    expect(r.getChild("forged")).toBeUndefined();
    other.close();
    a.close();
  });
});

describe("service discovery (#28, #30, #32-#36)", () => {
  it("the host's disco#info carries urn:xmpp:delegation:2 and the component's features, identity and form (#28, #30, #32, #34)", async () => {
    const a = await login(alice, "disco");
    const r = await a.iq(`<iq xmlns='jabber:client' type='get' id='di1' to='${HOST}'><query xmlns='${INFO}'/></iq>`, "di1");
    const q = r.getChild("query", INFO)!;
    const features = q.getChildren("feature").map((f) => f.attrs.var);
    expect(features).toContain(DNS);
    expect(features).toContain(`${PUBSUB}#publish`);
    expect(features).toContain(`${PUBSUB}#retrieve-items`);
    expect(features).toContain(MAM);
    expect(new Set(features).size).toBe(features.length);
    const ids = q.getChildren("identity").map((i) => `${i.attrs.category}/${i.attrs.type}`);
    expect(ids).toEqual(["server/im", "pubsub/service"]);
    const form = q.getChild("x", "jabber:x:data")!;
    expect(form.getChildren("field").map((f) => `${f.attrs.var}=${f.getChildText("value")}`)).toEqual(["FORM_TYPE=urn:xmpp:pep-info", "max-items=42"]);
    // the bare-JID nesting answer is not merged into the host's
    expect(features).not.toContain(`${PUBSUB}#publish-options`);
    a.close();
  });

  it("a bare JID's disco#info merges the :bare: answers, e.g. the pubsub/pep identity (#33)", async () => {
    const a = await login(alice, "bdisco");
    const r = await a.iq(`<iq xmlns='jabber:client' type='get' id='bd1' to='${alice}@${HOST}'><query xmlns='${INFO}'/></iq>`, "bd1");
    expect(r.attrs.from).toBe(`${alice}@${HOST}`);
    const q = r.getChild("query", INFO)!;
    expect(q.getChildren("identity").map((i) => `${i.attrs.category}/${i.attrs.type}`)).toEqual(["account/registered", "pubsub/pep"]);
    const features = q.getChildren("feature").map((f) => f.attrs.var);
    expect(features).toContain(`${PUBSUB}#publish-options`);
    expect(features).not.toContain(`${PUBSUB}#retrieve-items`);
    await comp.nothing((el) => !!el.getChild("delegation", DNS), 300);
    a.close();
  });

  it("bare-JID disco#info on a node the server does not manage is forwarded (#35)", async () => {
    const b = await login(bob, "d3");
    b.send(`<iq xmlns='jabber:client' type='get' id='d3' to='${alice}@${HOST}'><query xmlns='${INFO}' node='urn:xmpp:microblog:0'/></iq>`);
    const { outer, inner } = await nextForward(comp);
    expect(inner.getChild("query", INFO)!.attrs.node).toBe("urn:xmpp:microblog:0");
    expect(inner.attrs).toMatchObject({ from: b.jid, to: `${alice}@${HOST}` });
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${b.jid}' type='result' id='d3'><query xmlns='${INFO}' node='urn:xmpp:microblog:0'><identity category='pubsub' type='leaf'/></query></iq>`));
    const r = await b.next((el) => el.attrs.id === "d3");
    expect(r.getChild("query", INFO)!.getChild("identity")!.attrs.type).toBe("leaf");
    b.close();
  });

  it("bare-JID disco#items, with and without a node, is forwarded; host disco#items is not (#36)", async () => {
    const a = await login(alice, "items");
    for (const [id, node] of [["it1", ""], ["it2", " node='urn:xmpp:microblog:0'"]] as const) {
      a.send(`<iq xmlns='jabber:client' type='get' id='${id}' to='${alice}@${HOST}'><query xmlns='${ITEMS}'${node}/></iq>`);
      const { outer, inner } = await nextForward(comp);
      expect(inner.attrs.id).toBe(id);
      comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='${id}'><query xmlns='${ITEMS}'><item jid='${alice}@${HOST}' node='urn:xmpp:microblog:0'/></query></iq>`));
      const r = await a.next((el) => el.attrs.id === id);
      expect(r.getChild("query", ITEMS)!.getChild("item")!.attrs.node).toBe("urn:xmpp:microblog:0");
    }
    const host = await a.iq(`<iq xmlns='jabber:client' type='get' id='it3' to='${HOST}'><query xmlns='${ITEMS}'/></iq>`, "it3");
    expect(host.attrs.type).toBe("result");
    await comp.nothing((el) => !!el.getChild("delegation", DNS), 300);
    a.close();
  });

  it("refreshes the cached answers on every reconnection (#31)", async () => {
    comp.close();
    await new Promise((r) => setTimeout(r, 300));
    comp = await RawXmpp.component(gatewayUrl(), COMP, SECRET);
    await comp.next((el) => el.getName() === "message" && !!el.getChild("delegation", DNS));
    await answerNesting(comp, (node) => (node === `${DNS}::${PUBSUB}` ? `<feature var='${PUBSUB}#v2-only'/>` : ""));
    // the answers are stored asynchronously with respect to us: poll briefly
    const a = await login(alice, "refresh");
    let features: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await a.iq(`<iq xmlns='jabber:client' type='get' id='rf${i}' to='${HOST}'><query xmlns='${INFO}'/></iq>`, `rf${i}`);
      features = r.getChild("query", INFO)!.getChildren("feature").map((f) => f.attrs.var);
      if (features.includes(`${PUBSUB}#v2-only`)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(features).toContain(`${PUBSUB}#v2-only`);
    expect(features).not.toContain(`${PUBSUB}#publish`);
    expect(features).not.toContain(MAM);
    a.close();
  });
});

describe("managing entity unavailable (#19) and disconnecting", () => {
  it("answers all pending requests with service-unavailable when the component disconnects", async () => {
    const a = await login(alice, "disc");
    a.send(`<iq xmlns='jabber:client' type='get' id='p1'><pubsub xmlns='${PUBSUB}'><items node='a'/></pubsub></iq>`);
    a.send(`<iq xmlns='jabber:client' type='get' id='p2' to='${HOST}'><pubsub xmlns='${PUBSUB}'><items node='b'/></pubsub></iq>`);
    await nextForward(comp);
    await nextForward(comp);
    comp.terminate();
    const r1 = await a.next((el) => el.attrs.id === "p1");
    const r2 = await a.next((el) => el.attrs.id === "p2");
    expect(stanzaError(r1).condition).toBe("service-unavailable");
    expect(stanzaError(r2).condition).toBe("service-unavailable");
    expect(r2.attrs.from).toBe(HOST);
    a.close();
  });

  it("answers service-unavailable at once while the component is offline", async () => {
    const a = await login(alice, "off");
    const started = Date.now();
    const r = await a.iq(`<iq xmlns='jabber:client' type='set' id='off1'><pubsub xmlns='${PUBSUB}'><publish node='n'/></pubsub></iq>`, "off1");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.attrs).toMatchObject({ type: "error", from: `${alice}@${HOST}`, to: a.jid });
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "service-unavailable" });
    a.close();
  });

  it("works again once the component is back", async () => {
    comp = await connectComponent();
    const a = await login(alice, "back");
    a.send(`<iq xmlns='jabber:client' type='get' id='back1'><pubsub xmlns='${PUBSUB}'><items node='a'/></pubsub></iq>`);
    const { outer } = await nextForward(comp);
    comp.send(wrappedReply(outer, `<iq xmlns='jabber:client' to='${a.jid}' type='result' id='back1'/>`));
    expect((await a.next((el) => el.attrs.id === "back1")).attrs.type).toBe("result");
    a.close();
  });
});
