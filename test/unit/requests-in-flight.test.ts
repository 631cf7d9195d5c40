// IQ requests written to a component and not answered yet (src/component/requests-in-flight.ts).
import { describe, expect, it } from "vitest";
import { parse } from "ltx";
import { MAX_REQUESTS_IN_FLIGHT, RequestsInFlight } from "../../src/component/requests-in-flight";
import { same } from "./support/xml-compare";

const NS_C = "jabber:component:accept";
const req = (id: string, type = "get", from = "alice@localhost/r", to = "comp.localhost") =>
  parse(`<iq xmlns='${NS_C}' type='${type}' id='${id}' from='${from}' to='${to}'><ping xmlns='urn:xmpp:ping'/></iq>`);
const ans = (id: string, type = "result", to = "alice@localhost/r") => parse(`<iq xmlns='${NS_C}' type='${type}' id='${id}' from='comp.localhost' to='${to}'/>`);

describe("requests in flight to a component", () => {
  it("answers what is still open when the socket goes, from where each was sent, with service-unavailable", () => {
    const r = new RequestsInFlight();
    r.sent(req("a"));
    r.sent(req("b", "set", "bob@localhost/x", "bot@comp.localhost"));
    r.sent(req("c"));
    r.answered(ans("c"));
    r.answered(ans("b", "error", "alice@localhost/r")); // not bob's: b stays open
    const out = r.takeAll("comp.localhost");
    expect(out).toHaveLength(2);
    same(out[0]!, `<iq xmlns='jabber:client' type='error' from='comp.localhost' to='alice@localhost/r' id='a'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>comp.localhost disconnected</text></error></iq>`);
    expect(out[1]!.attrs).toMatchObject({ type: "error", from: "bot@comp.localhost", to: "bob@localhost/x", id: "b" });
    expect(r.takeAll("comp.localhost")).toEqual([]);
  });

  it("keeps no responses, messages or presences, and nothing without from or id", () => {
    const r = new RequestsInFlight();
    r.sent(ans("x"));
    r.sent(parse("<message xmlns='jabber:component:accept' from='a@localhost/r' to='comp.localhost' id='m'/>"));
    r.sent(parse("<iq xmlns='jabber:component:accept' type='get' to='comp.localhost' id='n'/>"));
    r.sent(parse("<iq xmlns='jabber:component:accept' type='get' from='a@localhost/r' to='comp.localhost'/>"));
    expect(r.size).toBe(0);
  });

  it("is bounded: past the bound the oldest is forgotten", () => {
    const r = new RequestsInFlight();
    for (let i = 0; i <= MAX_REQUESTS_IN_FLIGHT; i++) r.sent(req(`q${i}`));
    expect(r.size).toBe(MAX_REQUESTS_IN_FLIGHT);
    const ids = r.takeAll("comp.localhost").map((e) => e.attrs.id);
    expect(ids[0]).toBe("q1");
  });
});
