// RFC 6121 Appendix A, row by row, plus the roster-item cases the tables
// fold into "None" (no item at all, or a pending-in request without item).
import { describe, it, expect } from "vitest";
import {
  NO_CONTACT,
  SUBSCRIPTION_TYPES,
  describeState,
  isSubscriptionType,
  inbound,
  outbound,
  removeItem,
  rosterItemAttributes,
  sendsPresenceTo,
  wantsPresenceFrom,
  type ContactState,
  type SubscriptionType,
} from "../../src/im/subscription";

// The nine defined states of Appendix A.1, each with a roster item (the
// rows without one are tested further down).
const STATES = {
  None: { subscription: "none", askOut: false, pendingIn: false, inRoster: true },
  "None + Pending Out": { subscription: "none", askOut: true, pendingIn: false, inRoster: true },
  "None + Pending In": { subscription: "none", askOut: false, pendingIn: true, inRoster: true },
  "None + Pending Out+In": { subscription: "none", askOut: true, pendingIn: true, inRoster: true },
  To: { subscription: "to", askOut: false, pendingIn: false, inRoster: true },
  "To + Pending In": { subscription: "to", askOut: false, pendingIn: true, inRoster: true },
  From: { subscription: "from", askOut: false, pendingIn: false, inRoster: true },
  "From + Pending Out": { subscription: "from", askOut: true, pendingIn: false, inRoster: true },
  Both: { subscription: "both", askOut: false, pendingIn: false, inRoster: true },
} satisfies Record<string, ContactState>;
type StateName = keyof typeof STATES;
const SAME = "no state change";

// [existing state, ROUTE?, new state, roster push?, presence sent to the contact]
type OutRow = [StateName, boolean, StateName | typeof SAME, boolean, "none" | "available" | "unavailable"];
// [existing state, DELIVER?, new state, roster push?, auto-reply, presence sent to the contact]
type InRow = [StateName, boolean, StateName | typeof SAME, boolean, "none" | "subscribed", "none" | "unavailable"];

const OUTBOUND: Record<SubscriptionType, { table: string; rows: OutRow[] }> = {
  // A.2.1 and §3.1.2: always routed; push when ask='subscribe' appears.
  subscribe: {
    table: "A.2.1",
    rows: [
      ["None", true, "None + Pending Out", true, "none"],
      ["None + Pending Out", true, SAME, false, "none"],
      ["None + Pending In", true, "None + Pending Out+In", true, "none"],
      ["None + Pending Out+In", true, SAME, false, "none"],
      ["To", true, SAME, false, "none"],
      ["To + Pending In", true, SAME, false, "none"],
      ["From", true, "From + Pending Out", true, "none"],
      ["From + Pending Out", true, SAME, false, "none"],
      ["Both", true, SAME, false, "none"],
    ],
  },
  // A.2.2 and §3.3.2: always routed.
  unsubscribe: {
    table: "A.2.2",
    rows: [
      ["None", true, SAME, false, "none"],
      ["None + Pending Out", true, "None", true, "none"],
      ["None + Pending In", true, SAME, false, "none"],
      ["None + Pending Out+In", true, "None + Pending In", true, "none"],
      ["To", true, "None", true, "none"],
      ["To + Pending In", true, "None + Pending In", true, "none"],
      ["From", true, SAME, false, "none"],
      ["From + Pending Out", true, "From", true, "none"],
      ["Both", true, "From", true, "none"],
    ],
  },
  // A.2.3 and §3.1.5: routed only as the answer to a pending request; then
  // the user's presence goes to the contact. Rows None / None + Pending Out
  // / To would be pre-approvals (§3.4), unsupported: ignored.
  subscribed: {
    table: "A.2.3",
    rows: [
      ["None", false, SAME, false, "none"],
      ["None + Pending Out", false, SAME, false, "none"],
      ["None + Pending In", true, "From", true, "available"],
      ["None + Pending Out+In", true, "From + Pending Out", true, "available"],
      ["To", false, SAME, false, "none"],
      ["To + Pending In", true, "Both", true, "available"],
      ["From", false, SAME, false, "none"],
      ["From + Pending Out", false, SAME, false, "none"],
      ["Both", false, SAME, false, "none"],
    ],
  },
  // A.2.4 and §3.2.2: a denial changes nothing the roster shows (no push);
  // a cancellation of 'from' does, and is preceded by unavailable presence.
  unsubscribed: {
    table: "A.2.4",
    rows: [
      ["None", false, SAME, false, "none"],
      ["None + Pending Out", false, SAME, false, "none"],
      ["None + Pending In", true, "None", false, "none"],
      ["None + Pending Out+In", true, "None + Pending Out", false, "none"],
      ["To", false, SAME, false, "none"],
      ["To + Pending In", true, "To", false, "none"],
      ["From", true, "None", true, "unavailable"],
      ["From + Pending Out", true, "None + Pending Out", true, "unavailable"],
      ["Both", true, "To", true, "unavailable"],
    ],
  },
};

const INBOUND: Record<SubscriptionType, { table: string; rows: InRow[] }> = {
  // A.3.1 and §3.1.3: pending-in is not shown in the roster (no push);
  // the starred rows of the table are auto-replied "subscribed".
  subscribe: {
    table: "A.3.1",
    rows: [
      ["None", true, "None + Pending In", false, "none", "none"],
      ["None + Pending Out", true, "None + Pending Out+In", false, "none", "none"],
      ["None + Pending In", false, SAME, false, "none", "none"],
      ["None + Pending Out+In", false, SAME, false, "none", "none"],
      ["To", true, "To + Pending In", false, "none", "none"],
      ["To + Pending In", false, SAME, false, "none", "none"],
      ["From", false, SAME, false, "subscribed", "none"],
      ["From + Pending Out", false, SAME, false, "subscribed", "none"],
      ["Both", false, SAME, false, "subscribed", "none"],
    ],
  },
  // A.3.2 and §3.3.3: losing 'from' means a push and unavailable presence
  // from the user's resources to the contact.
  unsubscribe: {
    table: "A.3.2",
    rows: [
      ["None", false, SAME, false, "none", "none"],
      ["None + Pending Out", false, SAME, false, "none", "none"],
      ["None + Pending In", true, "None", false, "none", "none"],
      ["None + Pending Out+In", true, "None + Pending Out", false, "none", "none"],
      ["To", false, SAME, false, "none", "none"],
      ["To + Pending In", true, "To", false, "none", "none"],
      ["From", true, "None", true, "none", "unavailable"],
      ["From + Pending Out", true, "None + Pending Out", true, "none", "unavailable"],
      ["Both", true, "To", true, "none", "unavailable"],
    ],
  },
  // A.3.3 and §3.1.6: only with ask='subscribe'; otherwise ignored.
  subscribed: {
    table: "A.3.3",
    rows: [
      ["None", false, SAME, false, "none", "none"],
      ["None + Pending Out", true, "To", true, "none", "none"],
      ["None + Pending In", false, SAME, false, "none", "none"],
      ["None + Pending Out+In", true, "To + Pending In", true, "none", "none"],
      ["To", false, SAME, false, "none", "none"],
      ["To + Pending In", false, SAME, false, "none", "none"],
      ["From", false, SAME, false, "none", "none"],
      ["From + Pending Out", true, "Both", true, "none", "none"],
      ["Both", false, SAME, false, "none", "none"],
    ],
  },
  // A.3.4 and §3.2.3.
  unsubscribed: {
    table: "A.3.4",
    rows: [
      ["None", false, SAME, false, "none", "none"],
      ["None + Pending Out", true, "None", true, "none", "none"],
      ["None + Pending In", false, SAME, false, "none", "none"],
      ["None + Pending Out+In", true, "None + Pending In", true, "none", "none"],
      ["To", true, "None", true, "none", "none"],
      ["To + Pending In", true, "None + Pending In", true, "none", "none"],
      ["From", false, SAME, false, "none", "none"],
      ["From + Pending Out", true, "From", true, "none", "none"],
      ["Both", true, "From", true, "none", "none"],
    ],
  },
};

function expectedState(from: StateName, to: StateName | typeof SAME): ContactState {
  return STATES[to === SAME ? from : to];
}

describe("RFC 6121 A.2: outbound subscription stanzas", () => {
  for (const [type, { table, rows }] of Object.entries(OUTBOUND) as [SubscriptionType, (typeof OUTBOUND)[SubscriptionType]][]) {
    describe(`${table} outbound "${type}"`, () => {
      it("has one row per defined state (A.1)", () => {
        expect(rows.map((r) => r[0])).toEqual(Object.keys(STATES));
      });
      for (const [state, route, next, push, sendPresence] of rows) {
        it(`${state} → ${next}, route=${route ? "yes" : "no"}`, () => {
          expect(outbound(STATES[state], type)).toEqual({
            next: expectedState(state, next),
            route,
            push,
            sendPresence,
          });
        });
      }
    });
  }
});

describe("RFC 6121 A.3: inbound subscription stanzas", () => {
  for (const [type, { table, rows }] of Object.entries(INBOUND) as [SubscriptionType, (typeof INBOUND)[SubscriptionType]][]) {
    describe(`${table} inbound "${type}"`, () => {
      it("has one row per defined state (A.1)", () => {
        expect(rows.map((r) => r[0])).toEqual(Object.keys(STATES));
      });
      for (const [state, deliver, next, push, autoReply, sendPresence] of rows) {
        it(`${state} → ${next}, deliver=${deliver ? "yes" : "no"}`, () => {
          expect(inbound(STATES[state], type)).toEqual({
            next: expectedState(state, next),
            deliver,
            push,
            autoReply,
            sendPresence,
          });
        });
      }
    });
  }
});

// "None" in the tables also covers a contact with no roster item at all,
// and "None + Pending In" one whose request is the only trace (§3.1.3).
const PENDING_IN_ONLY: ContactState = { subscription: "none", askOut: false, pendingIn: true, inRoster: false };

describe("RFC 6121 §3: contacts without a roster item", () => {
  it("§3.1.2: outbound subscribe to an unknown contact creates the item with ask and pushes it", () => {
    expect(outbound(NO_CONTACT, "subscribe")).toEqual({
      next: { subscription: "none", askOut: true, pendingIn: false, inRoster: true },
      route: true,
      push: true,
      sendPresence: "none",
    });
  });

  it("§3.1.2: outbound subscribe to a pending-in-only contact creates the item (None + Pending Out+In)", () => {
    expect(outbound(PENDING_IN_ONLY, "subscribe")).toEqual({
      next: { subscription: "none", askOut: true, pendingIn: true, inRoster: true },
      route: true,
      push: true,
      sendPresence: "none",
    });
  });

  it("§3.1.3: inbound subscribe from an unknown contact records the request but creates no item", () => {
    expect(inbound(NO_CONTACT, "subscribe")).toEqual({
      next: PENDING_IN_ONLY,
      deliver: true,
      push: false,
      autoReply: "none",
      sendPresence: "none",
    });
  });

  it("§3.1.3: a repeated request from a pending-in-only contact is not delivered again", () => {
    expect(inbound(PENDING_IN_ONLY, "subscribe")).toEqual({
      next: PENDING_IN_ONLY,
      deliver: false,
      push: false,
      autoReply: "none",
      sendPresence: "none",
    });
  });

  it("§3.1.5: approving a pending-in-only contact adds it to the roster with 'from' and pushes it", () => {
    expect(outbound(PENDING_IN_ONLY, "subscribed")).toEqual({
      next: { subscription: "from", askOut: false, pendingIn: false, inRoster: true },
      route: true,
      push: true,
      sendPresence: "available",
    });
  });

  it("§3.2.2 / A.2.4: denying a pending-in-only contact forgets it without a push", () => {
    expect(outbound(PENDING_IN_ONLY, "unsubscribed")).toEqual({
      next: NO_CONTACT,
      route: true,
      push: false,
      sendPresence: "none",
    });
  });

  it("§3.3.3: the requester withdrawing (inbound unsubscribe) removes the record, no item to push", () => {
    expect(inbound(PENDING_IN_ONLY, "unsubscribe")).toEqual({
      next: NO_CONTACT,
      deliver: true,
      push: false,
      autoReply: "none",
      sendPresence: "none",
    });
  });

  it("§3.1.6: inbound subscribed from an unknown contact is ignored", () => {
    expect(inbound(NO_CONTACT, "subscribed")).toEqual({
      next: NO_CONTACT,
      deliver: false,
      push: false,
      autoReply: "none",
      sendPresence: "none",
    });
  });

  it("§3.2.3: inbound unsubscribed from an unknown contact is ignored", () => {
    expect(inbound(NO_CONTACT, "unsubscribed")).toMatchObject({ next: NO_CONTACT, deliver: false, push: false });
  });

  it("§3.4: outbound subscribed to an unknown contact (a pre-approval) is neither routed nor stored", () => {
    expect(outbound(NO_CONTACT, "subscribed")).toEqual({
      next: NO_CONTACT,
      route: false,
      push: false,
      sendPresence: "none",
    });
  });

  it("A.2.2: outbound unsubscribe to an unknown contact is routed but creates no item", () => {
    expect(outbound(NO_CONTACT, "unsubscribe")).toEqual({
      next: NO_CONTACT,
      route: true,
      push: false,
      sendPresence: "none",
    });
  });
});

describe("RFC 6121 A.1: inputs outside the nine defined states are folded onto them", () => {
  it("ask on a 'to' subscription means nothing (there is no 'To + Pending Out')", () => {
    const odd: ContactState = { subscription: "to", askOut: true, pendingIn: false, inRoster: true };
    expect(rosterItemAttributes(odd)).toEqual({ subscription: "to" });
    expect(outbound(odd, "subscribe").next).toEqual(STATES.To);
  });

  it("a subscription implies a roster item", () => {
    const odd: ContactState = { subscription: "from", askOut: false, pendingIn: false, inRoster: false };
    expect(inbound(odd, "subscribe")).toMatchObject({ next: STATES.From, push: false, autoReply: "subscribed" });
  });
});

describe("RFC 6121 §2.1.2: roster item attributes", () => {
  const cases: [StateName, { subscription: string; ask?: "subscribe" }][] = [
    ["None", { subscription: "none" }],
    ["None + Pending Out", { subscription: "none", ask: "subscribe" }],
    ["None + Pending In", { subscription: "none" }],
    ["None + Pending Out+In", { subscription: "none", ask: "subscribe" }],
    ["To", { subscription: "to" }],
    ["To + Pending In", { subscription: "to" }],
    ["From", { subscription: "from" }],
    ["From + Pending Out", { subscription: "from", ask: "subscribe" }],
    ["Both", { subscription: "both" }],
  ];
  for (const [name, attrs] of cases) {
    it(`§2.1.2.2/§2.1.2.5: ${name} → ${JSON.stringify(attrs)}`, () => {
      expect(rosterItemAttributes(STATES[name])).toEqual(attrs);
    });
  }
});

describe("RFC 6121 A.1: state names", () => {
  for (const name of Object.keys(STATES) as StateName[]) {
    it(`describes ${name}`, () => {
      expect(describeState(STATES[name])).toBe(name);
    });
  }
  it("describes a pending-in-only contact as None + Pending In", () => {
    expect(describeState(PENDING_IN_ONLY)).toBe("None + Pending In");
  });
});

describe("RFC 6121 §2.5.2: roster remove", () => {
  const cases: [StateName, boolean, boolean, boolean][] = [
    // [state, unsubscribe, unsubscribed, unavailable]
    ["None", false, false, false],
    ["None + Pending Out", true, false, false],
    ["None + Pending In", false, true, false],
    ["None + Pending Out+In", true, true, false],
    ["To", true, false, false],
    ["To + Pending In", true, true, false],
    ["From", false, true, true],
    ["From + Pending Out", true, true, true],
    ["Both", true, true, true],
  ];
  for (const [name, sendUnsubscribe, sendUnsubscribed, sendUnavailable] of cases) {
    it(`§2.5.2: removing ${name}`, () => {
      expect(removeItem(STATES[name])).toEqual({ sendUnsubscribe, sendUnsubscribed, sendUnavailable });
    });
  }
});

describe("RFC 6121 §4: who gets whose presence", () => {
  it("§4.2.2 / §4.3.1: the user probes and hears contacts with 'to' or 'both'", () => {
    expect(["none", "to", "from", "both"].filter((s) => wantsPresenceFrom(s as ContactState["subscription"]))).toEqual([
      "to",
      "both",
    ]);
  });
  it("§4.4.2: the user's broadcast goes to contacts with 'from' or 'both'", () => {
    expect(["none", "to", "from", "both"].filter((s) => sendsPresenceTo(s as ContactState["subscription"]))).toEqual([
      "from",
      "both",
    ]);
  });
});

describe("RFC 6121 §3: a full exchange", () => {
  it("§3.1: user asks, contact approves, contact asks back, user approves → both sides 'both'", () => {
    // The user's side of the user↔contact relationship, and the contact's side.
    let user: ContactState = NO_CONTACT;
    let contact: ContactState = NO_CONTACT;

    const out1 = outbound(user, "subscribe");
    user = out1.next;
    const in1 = inbound(contact, "subscribe");
    contact = in1.next;
    expect([describeState(user), describeState(contact), contact.inRoster]).toEqual([
      "None + Pending Out",
      "None + Pending In",
      false,
    ]);

    const out2 = outbound(contact, "subscribed");
    contact = out2.next;
    const in2 = inbound(user, "subscribed");
    user = in2.next;
    expect([describeState(user), describeState(contact), out2.sendPresence]).toEqual(["To", "From", "available"]);

    contact = outbound(contact, "subscribe").next;
    user = inbound(user, "subscribe").next;
    user = outbound(user, "subscribed").next;
    contact = inbound(contact, "subscribed").next;
    expect([describeState(user), describeState(contact)]).toEqual(["Both", "Both"]);

    // §3.1.3: the contact asks again (e.g. after losing state): auto-approved.
    expect(inbound(user, "subscribe").autoReply).toBe("subscribed");
  });
});

describe("subscription stanza types (RFC 6121 §3)", () => {
  it("are exactly the four subscription presence types", () => {
    expect([...SUBSCRIPTION_TYPES].sort()).toEqual(["subscribe", "subscribed", "unsubscribe", "unsubscribed"]);
    for (const t of [undefined, "", "probe", "unavailable", "error", "Subscribe"]) expect(isSubscriptionType(t)).toBe(false);
    for (const t of SUBSCRIPTION_TYPES) expect(isSubscriptionType(t)).toBe(true);
  });
});
