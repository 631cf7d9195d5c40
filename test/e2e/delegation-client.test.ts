// XEP-0355 v0.5 client mode end to end: the managing component deleg.comp.localhost asks
// a user of deleg.localhost to handle vcard-temp (and jabber:iq:private) for her; she
// answers the form, lists and revokes with urn:xmpp:delegation:2#configure.
// Checklist numbers (#n) refer to /work/shared/xep0355.md.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "./support/config";
import { createUser, gatewayUrl, uniqueName } from "./support/gateway";
import { RawXmpp, type Element, stanzaError } from "./support/raw-client";

const HOST = "deleg.localhost";
const COMP = "deleg.comp.localhost";
const DNS = "urn:xmpp:delegation:2";
const FWD = "urn:xmpp:forward:0";
const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";
const CMDS = "http://jabber.org/protocol/commands";
const XDATA = "jabber:x:data";
const VCARD = "vcard-temp";
const PRIVATE = "jabber:iq:private";
const NODE = `${DNS}#configure`;

type Client = RawXmpp & { jid: string };

const isDelegationMessage = (user: string) => (el: Element) =>
  el.getName() === "message" && el.getChild("delegation", DNS)?.attrs.to === user;

async function connectComponent(): Promise<RawXmpp> {
  const comp = await RawXmpp.component(gatewayUrl(), COMP, "deleg-secret");
  // the admin-mode advertisement and nesting queries of deleg.localhost (see delegation-admin)
  await comp.next((el) => el.getName() === "message" && !el.getChild("delegation", DNS)?.attrs.to);
  for (let i = 0; i < 6; i++) {
    const q = await comp.next((el) => el.getName() === "iq" && el.attrs.type === "get" && !!el.getChild("query", INFO));
    comp.send(`<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='result' id='${q.attrs.id}'><query xmlns='${INFO}' node='${q.getChild("query", INFO)!.attrs.node}'/></iq>`);
  }
  return comp;
}

async function nextForward(comp: RawXmpp, ms = 5000): Promise<{ outer: Element; inner: Element }> {
  const outer = await comp.next((el) => el.getName() === "iq" && el.attrs.type === "set" && !!el.getChild("delegation", DNS), ms);
  return { outer, inner: outer.getChild("delegation", DNS)!.getChild("forwarded", FWD)!.getChild("iq")! };
}

function answer(comp: RawXmpp, outer: Element, inner: Element, payload = ""): void {
  comp.send(
    `<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='result' id='${outer.attrs.id}'><delegation xmlns='${DNS}'><forwarded xmlns='${FWD}'>` +
      `<iq xmlns='jabber:client' to='${inner.attrs.from}' type='result' id='${inner.attrs.id}'>${payload}</iq></forwarded></delegation></iq>`,
  );
}

function request(id: string, user: string, namespaces: string[], from = COMP): string {
  return `<iq xmlns='jabber:component:accept' from='${from}' to='${HOST}' type='set' id='${id}'><query xmlns='${DNS}' to='${user}'>` +
    namespaces.map((ns) => `<delegate namespace='${ns}'/>`).join("") + `</query></iq>`;
}

function fieldsOf(form: Element): Record<string, { type?: string; values: string[]; label?: string }> {
  const out: Record<string, { type?: string; values: string[]; label?: string }> = {};
  for (const f of form.getChildren("field")) out[f.attrs.var] = { type: f.attrs.type, label: f.attrs.label, values: f.getChildren("value").map((v) => v.getText()) };
  return out;
}

let comp: RawXmpp;
let alice: string;
let aliceBare: string;
let bob: string;
let a: Client;
let b: Client;

beforeAll(async () => {
  alice = uniqueName("alice");
  bob = uniqueName("bob");
  aliceBare = `${alice}@${HOST}`;
  await createUser(aliceBare);
  await createUser(`${bob}@${HOST}`);
  comp = await connectComponent();
  a = await RawXmpp.login(gatewayUrl(), { username: alice, domain: HOST, resource: "phone", presence: true });
  b = await RawXmpp.login(gatewayUrl(), { username: bob, domain: HOST, resource: "pc", presence: true });
});

afterAll(() => {
  a?.close();
  b?.close();
  comp?.close();
});

/** The server's own answer to a vcard-temp get of an account with no vCard (XEP-0054 §3.1). */
function expectServerVcard(r: Element): void {
  expect(r.attrs.type).toBe("result");
  expect(r.getChild("vCard", VCARD)!.children).toEqual([]);
}

/**
 * vcard-temp get from `c` (no `to` = own bare JID): when the component gets it, it answers
 * and null is returned; otherwise the server's own answer is returned.
 */
async function vcardForwarded(c: Client, id: string, to?: string): Promise<Element | null> {
  c.send(`<iq xmlns='jabber:client' type='get' id='${id}'${to ? ` to='${to}'` : ""}><vCard xmlns='${VCARD}'/></iq>`);
  const direct = await c.next((el) => el.attrs.id === id, 1000).catch(() => null);
  if (direct) {
    await comp.nothing((el) => el.getName() === "iq" && !!el.getChild("delegation", DNS), 200);
    return direct;
  }
  const f = await nextForward(comp);
  expect(f.inner.attrs.id).toBe(id);
  answer(comp, f.outer, f.inner, `<vCard xmlns='${VCARD}'><FN>From the component</FN></vCard>`);
  const r = await c.next((el) => el.attrs.id === id);
  expect(r.getChild("vCard", VCARD)?.getChildText("FN")).toBe("From the component");
  return null;
}

describe("the request and the user's consent (#21-#24)", () => {
  it("asks the user with a XEP-0004 form: FORM_TYPE, one boolean per namespace (var = namespace, default 0), a warning", async () => {
    const r = await comp.iq(request("cd1", aliceBare, [VCARD, PRIVATE]), "cd1");
    expect(r.attrs).toMatchObject({ type: "result", from: HOST, to: COMP });
    const msg = await a.next((el) => el.getName() === "message" && !!el.getChild("x", XDATA));
    expect(msg.attrs.from).toBe(HOST);
    const form = msg.getChild("x", XDATA)!;
    expect(form.attrs.type).toBe("form");
    const fields = fieldsOf(form);
    expect(fields.FORM_TYPE).toMatchObject({ type: "hidden", values: [DNS] });
    expect(fields[VCARD]).toMatchObject({ type: "boolean", values: ["0"] });
    expect(fields[VCARD]!.label).toContain("vCard");
    expect(fields[PRIVATE]).toMatchObject({ type: "boolean", values: ["0"] });
    expect(fields["managing-entity"]!.values).toEqual([COMP]);
    expect(fields.challenge!.values[0]).toMatch(/^dlg-ask-/);
    expect(form.getChildText("instructions")).toContain("Only accept if you trust it completely");
    expect(msg.getChildText("body")).toContain(COMP);
  });

  it("grants nothing before an explicit yes (#21)", async () => {
    // Not forwarded: the server's own vcard-temp answers (issue 11), with the empty vCard.
    expectServerVcard((await vcardForwarded(a, "v0"))!);
    await comp.nothing(isDelegationMessage(aliceBare), 300);
  });

  it("grants what the user accepts, and advertises it with <delegation to='user'> (#24)", async () => {
    const msg = a.seen.map((s) => s).find((s) => s.includes("dlg-ask-"))!;
    const challenge = /<value>(dlg-ask-[^<]+)<\/value>/.exec(msg)![1];
    a.send(
      `<message xmlns='jabber:client' to='${HOST}'><x xmlns='${XDATA}' type='submit'>` +
        `<field var='FORM_TYPE'><value>${DNS}</value></field><field var='challenge'><value>${challenge}</value></field>` +
        `<field var='${VCARD}'><value>1</value></field><field var='${PRIVATE}'><value>0</value></field></x></message>`,
    );
    const adv = await comp.next(isDelegationMessage(aliceBare));
    expect(adv.attrs).toMatchObject({ from: HOST, to: COMP });
    expect(adv.getChild("delegation", DNS)!.toString()).toBe(`<delegation xmlns="${DNS}" to="${aliceBare}"><delegated namespace="${VCARD}"/></delegation>`);
  });
});

describe("client-mode forwarding (#25)", () => {
  it("(b) forwards the user's own IQs to her bare JID (no 'to') and other users' IQs to it", async () => {
    a.send(`<iq xmlns='jabber:client' type='get' id='v1'><vCard xmlns='${VCARD}'/></iq>`);
    const f1 = await nextForward(comp);
    expect(f1.inner.attrs).toMatchObject({ from: a.jid, to: aliceBare, id: "v1" });
    answer(comp, f1.outer, f1.inner);
    expect((await a.next((el) => el.attrs.id === "v1")).attrs).toMatchObject({ type: "result", from: aliceBare });

    expect(await vcardForwarded(b, "v2", aliceBare)).toBeNull();
  });

  it("(a) forwards the user's IQs to the server on the namespace she delegated", async () => {
    a.send(`<iq xmlns='jabber:client' type='get' id='v3' to='${HOST}'><vCard xmlns='${VCARD}'/></iq>`);
    const f = await nextForward(comp);
    expect(f.inner.attrs).toMatchObject({ from: a.jid, to: HOST });
    answer(comp, f.outer, f.inner);
    expect((await a.next((el) => el.attrs.id === "v3")).attrs).toMatchObject({ type: "result", from: HOST });
  });

  it("(c) forwards nothing else: another user's IQ to the server, a refused namespace, the manager's own IQs", async () => {
    const r1 = await vcardForwarded(b, "v4", HOST);
    expect(stanzaError(r1!).condition).toBe("service-unavailable");
    a.send(`<iq xmlns='jabber:client' type='get' id='p1'><query xmlns='${PRIVATE}'><storage xmlns='storage:bookmarks'/></query></iq>`);
    // Not forwarded: the server's own private storage answers (issue 11), nothing stored yet.
    const p1 = await a.next((el) => el.attrs.id === "p1");
    expect(p1.attrs.type).toBe("result");
    expect(p1.getChild("query", PRIVATE)!.getChild("storage", "storage:bookmarks")!.children).toEqual([]);
    const r3 = await comp.iq(`<iq xmlns='jabber:component:accept' from='${COMP}' to='${aliceBare}' type='get' id='m1'><vCard xmlns='${VCARD}'/></iq>`, "m1");
    expectServerVcard(r3); // answered by the server (anyone may read a vCard), not forwarded back
    await comp.nothing((el) => !!el.getChild("delegation", DNS) && el.getName() === "iq", 300);
  });
});

describe("the configure command (#26, #27)", () => {
  it("is listed on the host's commands node and in its disco#info", async () => {
    const items = await a.iq(`<iq xmlns='jabber:client' type='get' id='ci1' to='${HOST}'><query xmlns='${ITEMS}' node='${CMDS}'/></iq>`, "ci1");
    const item = items.getChild("query", ITEMS)!.getChild("item")!;
    expect(item.attrs).toMatchObject({ jid: HOST, node: NODE });
    const info = await a.iq(`<iq xmlns='jabber:client' type='get' id='ci2' to='${HOST}'><query xmlns='${INFO}'/></iq>`, "ci2");
    expect(info.getChild("query", INFO)!.getChildren("feature").map((f) => f.attrs.var)).toContain(CMDS);
  });

  it("lists the grants and revokes one; the managing entity is told at once (#26, #27)", async () => {
    const exec = await a.iq(`<iq xmlns='jabber:client' type='set' id='cx1' to='${HOST}'><command xmlns='${CMDS}' node='${NODE}' action='execute'/></iq>`, "cx1");
    const cmd = exec.getChild("command", CMDS)!;
    expect(cmd.attrs.status).toBe("executing");
    const fields = fieldsOf(cmd.getChild("x", XDATA)!);
    expect(fields[`${COMP} ${VCARD}`]).toMatchObject({ type: "boolean", values: ["1"] });
    expect(fields[`${COMP} ${PRIVATE}`]).toBeUndefined();

    const done = await a.iq(
      `<iq xmlns='jabber:client' type='set' id='cx2' to='${HOST}'><command xmlns='${CMDS}' node='${NODE}' sessionid='${cmd.attrs.sessionid}'>` +
        `<x xmlns='${XDATA}' type='submit'><field var='FORM_TYPE'><value>${DNS}</value></field><field var='${COMP} ${VCARD}'><value>0</value></field></x></command></iq>`,
      "cx2",
    );
    expect(done.getChild("command", CMDS)!.attrs).toMatchObject({ status: "completed", sessionid: cmd.attrs.sessionid });
    const adv = await comp.next(isDelegationMessage(aliceBare));
    expect(adv.getChild("delegation", DNS)!.getChildren("delegated")).toHaveLength(0);
    expectServerVcard((await vcardForwarded(a, "v5"))!);
  });

  it("grants a pending request through the command too (only with an explicit 1)", async () => {
    await comp.iq(request("cd2", aliceBare, [VCARD]), "cd2");
    await a.next((el) => el.getName() === "message" && !!el.getChild("x", XDATA) && el.toString().includes("dlg-ask-"));
    const exec = await a.iq(`<iq xmlns='jabber:client' type='set' id='cx3' to='${HOST}'><command xmlns='${CMDS}' node='${NODE}'/></iq>`, "cx3");
    const fields = fieldsOf(exec.getChild("command", CMDS)!.getChild("x", XDATA)!);
    expect(fields[`${COMP} ${VCARD}`]).toMatchObject({ type: "boolean", values: ["0"] });
    await a.iq(
      `<iq xmlns='jabber:client' type='set' id='cx4' to='${HOST}'><command xmlns='${CMDS}' node='${NODE}' action='complete'>` +
        `<x xmlns='${XDATA}' type='submit'><field var='FORM_TYPE'><value>${DNS}</value></field><field var='${COMP} ${VCARD}'><value>true</value></field></x></command></iq>`,
      "cx4",
    );
    const adv = await comp.next(isDelegationMessage(aliceBare));
    expect(adv.getChild("delegation", DNS)!.getChildren("delegated").map((d) => d.attrs.namespace)).toEqual([VCARD]);
    expect(await vcardForwarded(a, "v6")).toBeNull();
  });

  it("grants persist: re-advertised when the managing entity reconnects; service-unavailable while it is offline (#27)", async () => {
    comp.close();
    await new Promise((r) => setTimeout(r, 400));
    expect(stanzaError((await a.iq(`<iq xmlns='jabber:client' type='get' id='v7'><vCard xmlns='${VCARD}'/></iq>`, "v7"))).condition).toBe("service-unavailable");
    comp = await RawXmpp.component(gatewayUrl(), COMP, "deleg-secret");
    const adv = await comp.next(isDelegationMessage(aliceBare));
    expect(adv.getChild("delegation", DNS)!.getChildren("delegated").map((d) => d.attrs.namespace)).toEqual([VCARD]);
  });
});

describe("requests the server refuses", () => {
  it("for an account that does not exist: the same result as for one that does (§Security 4), and nobody is asked", async () => {
    const r = await comp.iq(request("cr0", `nobody-${uniqueName("x")}@${HOST}`, [VCARD]), "cr0");
    expect(r.attrs).toMatchObject({ type: "result", from: HOST });
    expect(r.children).toHaveLength(0);
    await a.nothing((el) => el.getName() === "message", 300);
  });

  it("from an entity that is not a component of this server: not-allowed", async () => {
    const r = await b.iq(`<iq xmlns='jabber:client' type='set' id='cr1' to='${HOST}'><query xmlns='${DNS}' to='${aliceBare}'><delegate namespace='${VCARD}'/></query></iq>`, "cr1");
    expect(stanzaError(r).condition).toBe("not-allowed");
  });

  it("on a host without client_delegation (client mode off): not-allowed", async () => {
    const r = await comp.iq(
      `<iq xmlns='jabber:component:accept' from='${COMP}' to='localhost' type='set' id='cr6'><query xmlns='${DNS}' to='someone@localhost'><delegate namespace='${VCARD}'/></query></iq>`,
      "cr6",
    );
    expect(r.attrs.from).toBe("localhost");
    expect(stanzaError(r)).toEqual({ type: "cancel", condition: "not-allowed" });
  });

  it("for a namespace the host does not list in client_delegation: not-allowed, even next to a listed one, and nobody is asked", async () => {
    expect(stanzaError(await comp.iq(request("cr7", aliceBare, ["urn:example:unlisted"]), "cr7")).condition).toBe("not-allowed");
    expect(stanzaError(await comp.iq(request("cr8", aliceBare, [VCARD, "http://jabber.org/protocol/pubsub"]), "cr8")).condition).toBe("not-allowed");
    await a.nothing((el) => el.getName() === "message" && !!el.getChild("x", XDATA), 300);
  });

  it("for a namespace that is not a URI, or longer than 256 characters: bad-request", async () => {
    expect(stanzaError(await comp.iq(request("cr9", aliceBare, ["not a namespace"]), "cr9")).condition).toBe("bad-request");
    expect(stanzaError(await comp.iq(request("cr10", aliceBare, [`urn:x:${"a".repeat(251)}`]), "cr10")).condition).toBe("bad-request");
    await a.nothing((el) => el.getName() === "message" && !!el.getChild("x", XDATA), 300);
  });

  it("for a namespace the server keeps (roster, delegation itself): forbidden; for a user of another host: item-not-found; without namespace: bad-request", async () => {
    expect(stanzaError(await comp.iq(request("cr2", aliceBare, ["jabber:iq:roster"]), "cr2")).condition).toBe("forbidden");
    expect(stanzaError(await comp.iq(request("cr3", aliceBare, [DNS]), "cr3")).condition).toBe("forbidden");
    expect(stanzaError(await comp.iq(request("cr4", "someone@localhost", [VCARD]), "cr4")).condition).toBe("item-not-found");
    const noNs = `<iq xmlns='jabber:component:accept' from='${COMP}' to='${HOST}' type='set' id='cr5'><query xmlns='${DNS}' to='${aliceBare}'><delegate/></query></iq>`;
    expect(stanzaError(await comp.iq(noNs, "cr5")).condition).toBe("bad-request");
  });
});

describe("deleting the account (M10)", () => {
  it("withdraws its grants: the manager gets an empty <delegation to='user'/>, and nothing for it after reconnecting", async () => {
    const carol = uniqueName("carol");
    const carolBare = `${carol}@${HOST}`;
    await createUser(carolBare);
    const c = await RawXmpp.login(gatewayUrl(), { username: carol, domain: HOST, resource: "r", presence: true });
    await comp.iq(request("cdel1", carolBare, [VCARD]), "cdel1");
    const ask = await c.next((el) => el.getName() === "message" && !!el.getChild("x", XDATA));
    const challenge = fieldsOf(ask.getChild("x", XDATA)!).challenge!.values[0];
    c.send(
      `<message xmlns='jabber:client' to='${HOST}'><x xmlns='${XDATA}' type='submit'>` +
        `<field var='FORM_TYPE'><value>${DNS}</value></field><field var='challenge'><value>${challenge}</value></field>` +
        `<field var='${VCARD}'><value>1</value></field></x></message>`,
    );
    const granted = await comp.next(isDelegationMessage(carolBare));
    expect(granted.getChild("delegation", DNS)!.getChildren("delegated").map((d) => d.attrs.namespace)).toEqual([VCARD]);

    const res = await fetch(`${gatewayUrl()}/admin/users/${encodeURIComponent(carolBare)}`, { method: "DELETE", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(204);
    const withdrawn = await comp.next(isDelegationMessage(carolBare));
    expect(withdrawn.attrs).toMatchObject({ from: HOST, to: COMP });
    expect(withdrawn.getChild("delegation", DNS)!.toString()).toBe(`<delegation xmlns="${DNS}" to="${carolBare}"/>`);
    c.close();

    comp.close();
    await new Promise((r) => setTimeout(r, 400));
    comp = await RawXmpp.component(gatewayUrl(), COMP, "deleg-secret");
    // alice's grant is still advertised, carol's is not
    await comp.next(isDelegationMessage(aliceBare));
    await comp.nothing(isDelegationMessage(carolBare), 500);
  });
});
