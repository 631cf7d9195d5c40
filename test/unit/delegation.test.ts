// XEP-0355 v0.5 rules: matching (§Stanza forwarding incl. N.B. 3, §Managing entity's
// stanzas, §Business rules 5, §Remaining disco info, §Bare JID disco items), the
// wrapper, reply validation, the advertisement and disco nesting.
import { describe, it, expect } from "vitest";
import type { Delegation, HostConfig } from "../../src/config";
import { parseFrame } from "../../src/xml/frame-parser";
import type { Element } from "../../src/xml/stanza";
import {
  BARE_DISCO_INFO,
  BARE_DISCO_ITEMS,
  advertisement,
  applyDelegatedDisco,
  effectiveTo,
  failureReply,
  findDelegation,
  forwardWrapper,
  isClientModeRequest,
  isForbidden,
  nestedNamespaces,
  nestingNode,
  parseDiscoAnswer,
  unwrap,
  validateReply,
  type PendingRequest,
} from "../../src/delegation/rules";

const PUBSUB = "http://jabber.org/protocol/pubsub";
const MAM = "urn:xmpp:mam:2";
const COMP = "pep.example.org";

function parse(s: string): Element {
  const r = parseFrame(s, 1 << 20);
  if (!r.ok) throw new Error(r.text);
  return r.element;
}

function delegation(namespace: string, filtering: string[] = [], jid = COMP): Delegation {
  return { namespace, jid, filtering };
}

function host(...ds: Delegation[]): HostConfig {
  const delegations: Record<string, Delegation> = Object.create(null);
  for (const d of ds) delegations[d.namespace] = d;
  return { domain: "example.org", registration: false, privileged: Object.create(null), delegations, clientDelegation: [] };
}

const HOST = host(delegation(PUBSUB), delegation(MAM, ["node"]), delegation(BARE_DISCO_INFO), delegation(BARE_DISCO_ITEMS));
const ALICE = "alice@example.org/laptop";

function iq(type: string, payload: string, attrs = ""): Element {
  return parse(`<iq xmlns='jabber:client' from='${ALICE}' type='${type}' id='q1' ${attrs}>${payload}</iq>`);
}

describe("findDelegation", () => {
  it("delegates a get/set request whose single payload is in a delegated namespace", () => {
    const m = findDelegation(HOST, iq("set", `<pubsub xmlns='${PUBSUB}'><publish node='n'/></pubsub>`), "bare", ALICE);
    expect(m).toEqual(delegation(PUBSUB));
    expect(findDelegation(HOST, iq("get", `<pubsub xmlns='${PUBSUB}'/>`), "host", ALICE)).toEqual(delegation(PUBSUB));
  });

  it("never delegates results, errors, or IQs without exactly one payload (#14)", () => {
    expect(findDelegation(HOST, iq("result", `<pubsub xmlns='${PUBSUB}'/>`), "bare", ALICE)).toBeNull();
    expect(findDelegation(HOST, iq("error", `<pubsub xmlns='${PUBSUB}'/>`), "bare", ALICE)).toBeNull();
    expect(findDelegation(HOST, iq("get", ""), "bare", ALICE)).toBeNull();
    expect(findDelegation(HOST, iq("get", `<pubsub xmlns='${PUBSUB}'/><ping xmlns='urn:xmpp:ping'/>`), "bare", ALICE)).toBeNull();
  });

  it("leaves other namespaces alone, and matches namespaces exactly", () => {
    expect(findDelegation(HOST, iq("get", "<ping xmlns='urn:xmpp:ping'/>"), "host", ALICE)).toBeNull();
    expect(findDelegation(HOST, iq("get", `<pubsub xmlns='${PUBSUB}#owner'/>`), "host", ALICE)).toBeNull();
  });

  it("requires every filtering attribute to be present, whatever its value (#12)", () => {
    expect(findDelegation(HOST, iq("set", `<query xmlns='${MAM}' node='urn:xmpp:microblog:0'/>`), "bare", ALICE)).toEqual(delegation(MAM, ["node"]));
    expect(findDelegation(HOST, iq("set", `<query xmlns='${MAM}' node=''/>`), "bare", ALICE)).toEqual(delegation(MAM, ["node"]));
    expect(findDelegation(HOST, iq("set", `<query xmlns='${MAM}' queryid='x'/>`), "bare", ALICE)).toBeNull();
    const two = host(delegation(MAM, ["node", "queryid"]));
    expect(findDelegation(two, iq("set", `<query xmlns='${MAM}' node='n'/>`), "bare", ALICE)).toBeNull();
    expect(findDelegation(two, iq("set", `<query xmlns='${MAM}' node='n' queryid='q'/>`), "bare", ALICE)).toEqual(delegation(MAM, ["node", "queryid"]));
  });

  it("never forwards the managing entity's own IQs back to it (#13)", () => {
    const q = iq("set", `<pubsub xmlns='${PUBSUB}'/>`);
    expect(findDelegation(HOST, q, "bare", COMP)).toBeNull();
    expect(findDelegation(HOST, q, "bare", `user@${COMP}/r`)).toBeNull();
    expect(findDelegation(HOST, q, "bare", "other.example.org")).toEqual(delegation(PUBSUB));
  });

  it("answers forbidden for urn:xmpp:delegation:2 itself, delegated or not (#6)", () => {
    const m = findDelegation(HOST, iq("get", "<query xmlns='urn:xmpp:delegation:2'/>"), "host", ALICE);
    expect(isForbidden(m)).toBe(true);
    expect(isForbidden(findDelegation(host(), iq("set", "<delegation xmlns='urn:xmpp:delegation:2'/>"), "bare", ALICE))).toBe(true);
  });

  it("bare disco#info: only nodes the server does not manage, only on bare JIDs (#35)", () => {
    const withNode = iq("get", "<query xmlns='http://jabber.org/protocol/disco#info' node='urn:xmpp:microblog:0'/>");
    const noNode = iq("get", "<query xmlns='http://jabber.org/protocol/disco#info'/>");
    expect(findDelegation(HOST, withNode, "bare", ALICE)).toEqual(delegation(BARE_DISCO_INFO));
    expect(findDelegation(HOST, noNode, "bare", ALICE)).toBeNull();
    expect(findDelegation(HOST, withNode, "host", ALICE)).toBeNull();
    expect(findDelegation(host(delegation(PUBSUB)), withNode, "bare", ALICE)).toBeNull();
  });

  it("bare disco#items: without a node and with any node, only on bare JIDs (#36)", () => {
    const noNode = iq("get", "<query xmlns='http://jabber.org/protocol/disco#items'/>");
    const withNode = iq("get", "<query xmlns='http://jabber.org/protocol/disco#items' node='x'/>");
    expect(findDelegation(HOST, noNode, "bare", ALICE)).toEqual(delegation(BARE_DISCO_ITEMS));
    expect(findDelegation(HOST, withNode, "bare", ALICE)).toEqual(delegation(BARE_DISCO_ITEMS));
    expect(findDelegation(HOST, noNode, "host", ALICE)).toBeNull();
    expect(findDelegation(HOST, iq("set", "<query xmlns='http://jabber.org/protocol/disco#items'/>"), "bare", ALICE)).toBeNull();
  });

  it("recognises the client-mode request (#22)", () => {
    expect(isClientModeRequest(iq("set", "<query xmlns='urn:xmpp:delegation:2' to='alice@example.org'><delegate namespace='x'/></query>"))).toBe(true);
    expect(isClientModeRequest(iq("set", "<query xmlns='urn:xmpp:delegation:2'><delegate namespace='x'/></query>"))).toBe(false);
    expect(isClientModeRequest(iq("result", "<query xmlns='urn:xmpp:delegation:2' to='a@b'/>"))).toBe(false);
  });
});

describe("forwardWrapper / effectiveTo (#15)", () => {
  it("fills in the bare JID or the host when the original had no 'to'", () => {
    const q = iq("set", `<pubsub xmlns='${PUBSUB}'/>`);
    expect(effectiveTo(q, "bare", "example.org", "alice@example.org")).toBe("alice@example.org");
    expect(effectiveTo(q, "host", "example.org", null)).toBe("example.org");
    expect(effectiveTo(iq("get", "<x xmlns='y'/>", "to='bob@example.org'"), "bare", "example.org", "alice@example.org")).toBe("bob@example.org");
  });

  it("wraps the original in <delegation><forwarded>, jabber:client, id/from/to kept", () => {
    const q = iq("set", `<pubsub xmlns='${PUBSUB}'><publish node='n'/></pubsub>`, "to='alice@example.org'");
    const w = forwardWrapper("example.org", COMP, "dlg-1", q);
    expect(w.toString()).toBe(
      `<iq xmlns="jabber:client" from="example.org" to="${COMP}" type="set" id="dlg-1">` +
        `<delegation xmlns="urn:xmpp:delegation:2"><forwarded xmlns="urn:xmpp:forward:0">` +
        `<iq xmlns="jabber:client" from="${ALICE}" type="set" id="q1" to="alice@example.org"><pubsub xmlns="${PUBSUB}"><publish node="n"/></pubsub></iq>` +
        `</forwarded></delegation></iq>`,
    );
    expect(unwrap(w)?.attrs.id).toBe("q1");
    // the original is not modified
    expect(q.attrs.xmlns).toBe("jabber:client");
    expect(q.parent).toBeNull();
  });
});

describe("validateReply (#16-#18, #20)", () => {
  const pending: PendingRequest = { outerId: "dlg-1", host: "example.org", from: ALICE, to: "alice@example.org", id: "q1", deadline: 0 };
  const outer = (inner: string, type = "result") =>
    parse(`<iq xmlns='jabber:client' from='${COMP}' to='example.org' type='${type}' id='dlg-1'><delegation xmlns='urn:xmpp:delegation:2'><forwarded xmlns='urn:xmpp:forward:0'>${inner}</forwarded></delegation></iq>`);

  it("accepts a result without inner from, and re-addresses it", () => {
    const r = validateReply(pending, outer(`<iq xmlns='jabber:client' to='${ALICE}' type='result' id='q1'><pubsub xmlns='${PUBSUB}'/></iq>`));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.reply.toString()).toBe(`<iq xmlns="jabber:client" to="${ALICE}" type="result" id="q1" from="alice@example.org"><pubsub xmlns="${PUBSUB}"/></iq>`);
  });

  it("accepts an inner from equal to the original to, and inner errors (passed on as they are)", () => {
    const r = validateReply(pending, outer(`<iq xmlns='jabber:client' from='Alice@example.org' to='${ALICE}' type='error' id='q1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.reply.attrs.from).toBe("alice@example.org");
      expect(r.reply.getChild("error")?.getChild("item-not-found")).toBeDefined();
    }
  });

  it("refuses wrong to / from / id / type, missing wrapper, outer error", () => {
    const bad = [
      outer(`<iq xmlns='jabber:client' to='mallory@example.org/x' type='result' id='q1'/>`),
      outer(`<iq xmlns='jabber:client' type='result' id='q1'/>`),
      outer(`<iq xmlns='jabber:client' from='bob@example.org' to='${ALICE}' type='result' id='q1'/>`),
      outer(`<iq xmlns='jabber:client' to='${ALICE}' type='result' id='q2'/>`),
      outer(`<iq xmlns='jabber:client' to='${ALICE}' type='set' id='q1'/>`),
      outer(`<message xmlns='jabber:client' to='${ALICE}' id='q1'/>`),
      outer(`<iq xmlns='jabber:client' to='${ALICE}' type='result' id='q1'/>`, "error"),
      parse(`<iq xmlns='jabber:client' from='${COMP}' to='example.org' type='result' id='dlg-1'/>`),
    ];
    for (const o of bad) expect(validateReply(pending, o).ok, o.toString()).toBe(false);
  });

  it("failureReply is service-unavailable from the original to, with the original id", () => {
    expect(failureReply(pending).toString()).toBe(
      `<iq xmlns="jabber:client" type="error" from="alice@example.org" to="${ALICE}" id="q1"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`,
    );
  });
});

describe("advertisement (#7-#10, #24)", () => {
  it("lists every delegation with its filtering attributes", () => {
    const m = advertisement("example.org", COMP, "adv1", Object.values(HOST.delegations));
    expect(m.toString()).toBe(
      `<message xmlns="jabber:client" from="example.org" to="${COMP}" id="adv1"><delegation xmlns="urn:xmpp:delegation:2">` +
        `<delegated namespace="${PUBSUB}"/><delegated namespace="${MAM}"><attribute name="node"/></delegated>` +
        `<delegated namespace="${BARE_DISCO_INFO}"/><delegated namespace="${BARE_DISCO_ITEMS}"/></delegation></message>`,
    );
  });

  it("client mode carries the user on <delegation to=…>", () => {
    const m = advertisement("example.org", COMP, "adv2", [delegation(PUBSUB)], "alice@example.org");
    expect(m.getChild("delegation")?.attrs.to).toBe("alice@example.org");
  });
});

describe("disco nesting (#29-#34)", () => {
  it("names the nesting nodes", () => {
    expect(nestingNode("host", PUBSUB)).toBe("urn:xmpp:delegation:2::http://jabber.org/protocol/pubsub");
    expect(nestingNode("bare", PUBSUB)).toBe("urn:xmpp:delegation:2:bare:http://jabber.org/protocol/pubsub");
    expect(nestedNamespaces(HOST)).toEqual([PUBSUB, MAM]);
    expect(nestedNamespaces(HOST, "other")).toEqual([]);
  });

  it("replaces the server's own features for the namespace by the managing entity's", () => {
    const answer = parseDiscoAnswer(parse(
      `<query xmlns='http://jabber.org/protocol/disco#info' node='urn:xmpp:delegation:2::${PUBSUB}'>` +
        `<identity category='pubsub' type='pep' name='PEP'/><feature var='${PUBSUB}#publish'/><feature var='${PUBSUB}#retrieve-items'/>` +
        `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>${PUBSUB}#meta</value></field></x></query>`,
    ));
    expect(answer.features).toEqual([`${PUBSUB}#publish`, `${PUBSUB}#retrieve-items`]);
    const own = parse(
      `<query xmlns='http://jabber.org/protocol/disco#info'><identity category='server' type='im'/>` +
        `<feature var='urn:xmpp:ping'/><feature var='${PUBSUB}'/><feature var='${PUBSUB}#publish'/><feature var='urn:xmpp:delegation:2'/>` +
        `<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>${PUBSUB}#old</value></field></x></query>`,
    );
    const merged = applyDelegatedDisco(own, [PUBSUB], answer);
    expect(merged.toString()).toBe(
      `<query xmlns="http://jabber.org/protocol/disco#info"><identity category="server" type="im"/><identity category="pubsub" type="pep" name="PEP"/>` +
        `<feature var="urn:xmpp:ping"/><feature var="urn:xmpp:delegation:2"/><feature var="${PUBSUB}#publish"/><feature var="${PUBSUB}#retrieve-items"/>` +
        `<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>${PUBSUB}#meta</value></field></x></query>`,
    );
  });
});
