// RFC 6121 §8.5: delivery of stanzas addressed to a local account.
import { describe, it, expect } from "vitest";
import {
  highestPriority,
  iqToBare,
  iqToFull,
  messageToBare,
  messageToFull,
  parseMessageType,
  presenceToBare,
  presenceToFull,
  type Delivery,
  type MessageType,
  type PresenceType,
  type ResourceView,
} from "../../src/im/delivery-rules";

const r = (resource: string, priority: number, available = true): ResourceView => ({ resource, priority, available });

// --- §8.5.4, "Summary of Message Delivery Rules", as data ---------------
//
// Letters as in the RFC: D deliver to the resource in 'to'; M the "most
// available" resource(s) (here: all of the highest non-negative priority);
// A all available non-negative resources; O offline storage; E bounce with
// an error (service-unavailable); S silently ignore.
type Letter = "D" | "M" | "A" | "O" | "E" | "S";
type Cells = [normal: Letter, chat: Letter, groupchat: Letter, headline: Letter];
const COLUMNS = ["normal", "chat", "groupchat", "headline"] as const;

interface Row {
  condition: string;
  accountExists: boolean;
  resources: ResourceView[];
  /** undefined: the bare JID; otherwise the resource of the full JID. */
  to?: string;
  rfc: Cells;
  /** Who "D" delivers to on this row. */
  d?: string[];
  /** Cells where we take the other choice the RFC text allows, and why. */
  ours?: Partial<Record<(typeof COLUMNS)[number], { letter: Letter; why: string }>>;
}

const NO_ACCOUNT_CHOICE = { letter: "E", why: "§8.5.1 allows ignoring or service-unavailable; we tell the sender" } as const;
const NORMAL_FULL_CHOICE = { letter: "E", why: "§8.5.3.2.1 allows ignoring or an error; the sender is told (nothing vanishes unanswered)" } as const;
const GROUPCHAT_FULL_CHOICE = {
  letter: "E",
  why: "§8.5.3.2.1 allows ignoring or service-unavailable; the error tells a room its occupant is gone",
} as const;

const NEGATIVE_ONLY = [r("neg1", -1), r("neg2", -5)];
const ONE_NON_NEGATIVE = [r("home", 0), r("neg", -1)];
const SEVERAL = [r("desk", 5), r("phone", 5), r("tablet", 1), r("neg", -1), r("bound", 9, false)];

const SUMMARY: Row[] = [
  {
    condition: "ACCOUNT DOES NOT EXIST, bare",
    accountExists: false,
    resources: [],
    rfc: ["S", "S", "E", "S"],
    ours: { normal: NO_ACCOUNT_CHOICE, chat: NO_ACCOUNT_CHOICE, headline: NO_ACCOUNT_CHOICE },
  },
  {
    condition: "ACCOUNT DOES NOT EXIST, full",
    accountExists: false,
    resources: [],
    to: "res",
    rfc: ["S", "S", "S", "S"],
    ours: { normal: NO_ACCOUNT_CHOICE, chat: NO_ACCOUNT_CHOICE, groupchat: NO_ACCOUNT_CHOICE, headline: NO_ACCOUNT_CHOICE },
  },
  { condition: "NO ACTIVE RESOURCES, bare", accountExists: true, resources: [], rfc: ["O", "O", "E", "S"] },
  {
    condition: "NO ACTIVE RESOURCES, full (no match)",
    accountExists: true,
    resources: [],
    to: "gone",
    rfc: ["S", "O", "S", "S"],
    ours: { normal: NORMAL_FULL_CHOICE, groupchat: GROUPCHAT_FULL_CHOICE },
  },
  { condition: "1+ NEGATIVE, ZERO NON-NEGATIVE, bare", accountExists: true, resources: NEGATIVE_ONLY, rfc: ["O", "O", "E", "S"] },
  {
    condition: "1+ NEGATIVE, ZERO NON-NEGATIVE, full match",
    accountExists: true,
    resources: NEGATIVE_ONLY,
    to: "neg2",
    rfc: ["D", "D", "D", "D"],
    d: ["neg2"],
  },
  {
    condition: "1+ NEGATIVE, ZERO NON-NEGATIVE, full no match",
    accountExists: true,
    resources: NEGATIVE_ONLY,
    to: "gone",
    rfc: ["S", "O", "S", "S"],
    ours: { normal: NORMAL_FULL_CHOICE, groupchat: GROUPCHAT_FULL_CHOICE },
  },
  { condition: "1 NON-NEGATIVE, bare", accountExists: true, resources: ONE_NON_NEGATIVE, rfc: ["D", "D", "E", "D"], d: ["home"] },
  { condition: "1 NON-NEGATIVE, full match", accountExists: true, resources: ONE_NON_NEGATIVE, to: "home", rfc: ["D", "D", "D", "D"], d: ["home"] },
  {
    condition: "1 NON-NEGATIVE, full no match",
    accountExists: true,
    resources: ONE_NON_NEGATIVE,
    to: "gone",
    rfc: ["S", "D", "S", "S"],
    d: ["home"],
    ours: { normal: NORMAL_FULL_CHOICE, groupchat: GROUPCHAT_FULL_CHOICE },
  },
  { condition: "1+ NON-NEGATIVE, bare", accountExists: true, resources: SEVERAL, rfc: ["M", "M", "E", "A"] },
  { condition: "1+ NON-NEGATIVE, full match", accountExists: true, resources: SEVERAL, to: "tablet", rfc: ["D", "D", "D", "D"], d: ["tablet"] },
  {
    condition: "1+ NON-NEGATIVE, full no match",
    accountExists: true,
    resources: SEVERAL,
    to: "gone",
    rfc: ["S", "M", "S", "S"],
    ours: { normal: NORMAL_FULL_CHOICE, groupchat: GROUPCHAT_FULL_CHOICE },
  },
];

function expected(letter: Letter, row: Row): Delivery {
  switch (letter) {
    case "D":
      if (!row.d) throw new Error(`row ${row.condition} has a D cell but no d`);
      return { kind: "resources", resources: row.d };
    case "M":
      return { kind: "resources", resources: ["desk", "phone"] };
    case "A":
      return { kind: "resources", resources: ["desk", "phone", "tablet"] };
    case "O":
      return { kind: "offline" };
    case "E":
      return { kind: "error", condition: "service-unavailable" };
    case "S":
      return { kind: "drop" };
  }
}

describe("RFC 6121 §8.5.4: summary of message delivery rules", () => {
  for (const row of SUMMARY) {
    COLUMNS.forEach((type, i) => {
      const choice = row.ours?.[type];
      const letter = choice?.letter ?? row.rfc[i];
      const label = choice ? `${row.rfc[i]} → ${letter}: ${choice.why}` : letter;
      it(`§8.5.4 ${row.condition}, ${type}: ${label}`, () => {
        const got =
          row.to === undefined
            ? messageToBare(type, row.accountExists, row.resources)
            : messageToFull(type, row.to, row.accountExists, row.resources);
        expect(got).toEqual(expected(letter, row));
      });
    });
  }
});

// --- the rules one by one -------------------------------------------------

describe("RFC 6121 §5.2.2: message type", () => {
  const cases: [string | undefined, MessageType][] = [
    [undefined, "normal"],
    ["normal", "normal"],
    ["chat", "chat"],
    ["groupchat", "groupchat"],
    ["headline", "headline"],
    ["error", "error"],
    ["", "normal"],
    ["Chat", "normal"],
    ["urgent", "normal"],
  ];
  for (const [raw, type] of cases) {
    it(`§5.2.2: type ${JSON.stringify(raw)} → ${type}`, () => {
      expect(parseMessageType(raw)).toBe(type);
    });
  }
});

describe("RFC 6121 §8.5.2.1.1: highest priority", () => {
  it("§8.5.2.1.1: keeps every available resource sharing the top priority, in input order", () => {
    expect(highestPriority([r("b", 3), r("a", 7), r("c", 7), r("d", 0)]).map((x) => x.resource)).toEqual(["a", "c"]);
  });
  it("§8.5.2.1.1: ignores resources that are bound but not available, even with a higher priority", () => {
    expect(highestPriority([r("hidden", 50, false), r("shown", 1)]).map((x) => x.resource)).toEqual(["shown"]);
  });
  it("§4.7.2.3: a negative priority is never 'most available'", () => {
    expect(highestPriority([r("a", -1), r("b", -128)])).toEqual([]);
  });
  it("§8.5.2.1.1: priority 0 counts as non-negative", () => {
    expect(highestPriority([r("zero", 0), r("neg", -1)]).map((x) => x.resource)).toEqual(["zero"]);
  });
  it("§8.5.2.2: no resources → none", () => {
    expect(highestPriority([])).toEqual([]);
  });
});

describe("RFC 6121 §8.5.2: message to the bare JID", () => {
  it("§8.5.2.1.1: chat goes to every resource of the highest non-negative priority", () => {
    expect(messageToBare("chat", true, [r("a", 1), r("b", 2), r("c", 2)])).toEqual({ kind: "resources", resources: ["b", "c"] });
  });
  it("§8.5.2.1.1: normal goes to every resource of the highest non-negative priority", () => {
    expect(messageToBare("normal", true, [r("a", 1), r("b", 0)])).toEqual({ kind: "resources", resources: ["a"] });
  });
  it("§8.5.2.1.1: a bound resource that never sent presence does not receive bare-JID chat", () => {
    expect(messageToBare("chat", true, [r("quiet", 10, false)])).toEqual({ kind: "offline" });
  });
  it("§8.5.2.1.1: only negative resources → handled as if none were available: offline", () => {
    expect(messageToBare("chat", true, [r("a", -1)])).toEqual({ kind: "offline" });
  });
  it("§8.5.2.2.1: normal with no available resource → offline storage", () => {
    expect(messageToBare("normal", true, [])).toEqual({ kind: "offline" });
  });
  it("§8.5.2.1.1: headline goes to all available non-negative resources, not only the top ones", () => {
    expect(messageToBare("headline", true, [r("a", 1), r("b", 0), r("c", -1), r("d", 4, false)])).toEqual({
      kind: "resources",
      resources: ["a", "b"],
    });
  });
  it("§8.5.2.2.1: headline with no non-negative resource is silently ignored", () => {
    expect(messageToBare("headline", true, [r("a", -1)])).toEqual({ kind: "drop" });
  });
  it("§8.5.2.1.1: groupchat to a bare JID → service-unavailable, even with resources online", () => {
    expect(messageToBare("groupchat", true, [r("a", 1)])).toEqual({ kind: "error", condition: "service-unavailable" });
  });
  it("§8.5.2.1.1: error to a bare JID is silently ignored", () => {
    expect(messageToBare("error", true, [r("a", 1)])).toEqual({ kind: "drop" });
  });
  it("§8.5.1: no such account → service-unavailable", () => {
    expect(messageToBare("chat", false, [])).toEqual({ kind: "error", condition: "service-unavailable" });
  });
  it("§8.5.1 / RFC 6120 §8.3.1: no such account, type error → dropped, never answered", () => {
    expect(messageToBare("error", false, [])).toEqual({ kind: "drop" });
  });
});

describe("RFC 6121 §8.5.3: message to a full JID", () => {
  it("§8.5.3.1: a matching resource gets it even with a negative priority", () => {
    expect(messageToFull("normal", "neg", true, [r("top", 9), r("neg", -3)])).toEqual({ kind: "resources", resources: ["neg"] });
  });
  it("§8.5.3.1: a matching connected (not available) resource gets it", () => {
    expect(messageToFull("chat", "quiet", true, [r("quiet", 0, false)])).toEqual({ kind: "resources", resources: ["quiet"] });
  });
  it("§8.5.3.1: groupchat to a matching resource is delivered", () => {
    expect(messageToFull("groupchat", "a", true, [r("a", 0)])).toEqual({ kind: "resources", resources: ["a"] });
  });
  it("§8.5.3.1: an error message to a matching resource is delivered (it answers that resource)", () => {
    expect(messageToFull("error", "a", true, [r("a", 0)])).toEqual({ kind: "resources", resources: ["a"] });
  });
  it("RFC 7622 §3.5: resourceparts are compared exactly (no case folding)", () => {
    expect(messageToFull("normal", "Phone", true, [r("phone", 0)])).toEqual({ kind: "error", condition: "service-unavailable" });
  });
  it("§8.5.3.2.1: chat to a vanished resource is handled as if sent to the bare JID", () => {
    expect(messageToFull("chat", "gone", true, [r("a", 1), r("b", 3)])).toEqual({ kind: "resources", resources: ["b"] });
  });
  it("§8.5.3.2.1: chat to a vanished resource with nobody online → offline", () => {
    expect(messageToFull("chat", "gone", true, [])).toEqual({ kind: "offline" });
  });
  it("§8.5.3.2.1: normal to a vanished resource is bounced with service-unavailable (not redirected to the bare JID)", () => {
    expect(messageToFull("normal", "gone", true, [r("a", 1)])).toEqual({ kind: "error", condition: "service-unavailable" });
  });
  it("§8.5.3.2.1: headline to a vanished resource is silently ignored", () => {
    expect(messageToFull("headline", "gone", true, [r("a", 1)])).toEqual({ kind: "drop" });
  });
  it("§8.5.3.2.1: groupchat to a vanished resource → service-unavailable", () => {
    expect(messageToFull("groupchat", "gone", true, [r("a", 1)])).toEqual({ kind: "error", condition: "service-unavailable" });
  });
  it("§8.5.3.2.1: error to a vanished resource is silently ignored", () => {
    expect(messageToFull("error", "gone", true, [r("a", 1)])).toEqual({ kind: "drop" });
  });
  it("§8.5.1: no such account → service-unavailable; type error → dropped", () => {
    expect(messageToFull("normal", "x", false, [])).toEqual({ kind: "error", condition: "service-unavailable" });
    expect(messageToFull("error", "x", false, [])).toEqual({ kind: "drop" });
  });
});

describe("RFC 6121 §8.5: IQ", () => {
  const bound = [r("a", 0), r("quiet", 0, false)];
  for (const t of ["get", "set", "result", "error"] as const) {
    it(`§8.5.3.1: IQ ${t} to a bound resource is delivered to it`, () => {
      expect(iqToFull(t, "quiet", true, bound)).toEqual({ kind: "resource", resource: "quiet" });
    });
  }
  for (const t of ["get", "set"] as const) {
    it(`§8.5.3.2.3: IQ ${t} to a vanished resource → service-unavailable`, () => {
      expect(iqToFull(t, "gone", true, bound)).toEqual({ kind: "error", condition: "service-unavailable" });
    });
    it(`§8.5.1: IQ ${t} to a full JID of no account → service-unavailable`, () => {
      expect(iqToFull(t, "a", false, [])).toEqual({ kind: "error", condition: "service-unavailable" });
    });
    it(`§8.5.1: IQ ${t} to a bare JID of no account → service-unavailable`, () => {
      expect(iqToBare(t, false)).toEqual({ kind: "error", condition: "service-unavailable" });
    });
  }
  for (const t of ["result", "error"] as const) {
    it(`§8.5.3.2.3 / RFC 6120 §8.3.1: IQ ${t} to a vanished resource is dropped, never answered`, () => {
      expect(iqToFull(t, "gone", true, bound)).toEqual({ kind: "drop" });
    });
    it(`§8.5.1 / RFC 6120 §8.3.1: IQ ${t} to no account is dropped`, () => {
      expect(iqToFull(t, "a", false, [])).toEqual({ kind: "drop" });
      expect(iqToBare(t, false)).toEqual({ kind: "drop" });
    });
  }
  for (const t of ["get", "set", "result", "error"] as const) {
    it(`§8.5.2.1.3: IQ ${t} to the bare JID is handled by the server on the user's behalf`, () => {
      expect(iqToBare(t, true)).toEqual({ kind: "server" });
    });
  }
});

describe("RFC 6121 §8.5: presence", () => {
  const resources = [r("a", 1), r("neg", -1), r("quiet", 5, false)];
  const accountTypes: PresenceType[] = ["probe", "subscribe", "subscribed", "unsubscribe", "unsubscribed"];

  for (const t of ["available", "unavailable"] as const) {
    it(`§8.5.2.1.2: ${t} presence to the bare JID goes to every available resource, negative priority included`, () => {
      expect(presenceToBare(t, true, resources)).toEqual({ kind: "resources", resources: ["a", "neg"] });
    });
    it(`§8.5.2.2.2: ${t} presence to the bare JID with no available resource is silently ignored`, () => {
      expect(presenceToBare(t, true, [r("quiet", 5, false)])).toEqual({ kind: "drop" });
    });
    it(`§8.5.3.1: ${t} presence to a bound resource is delivered to it, available or not`, () => {
      expect(presenceToFull(t, "quiet", true, resources)).toEqual({ kind: "resources", resources: ["quiet"] });
    });
    it(`§8.5.3.2.2: ${t} presence to a vanished resource is silently ignored`, () => {
      expect(presenceToFull(t, "gone", true, resources)).toEqual({ kind: "drop" });
    });
    it(`§8.5.1: ${t} presence to no account is silently ignored`, () => {
      expect(presenceToBare(t, false, [])).toEqual({ kind: "drop" });
      expect(presenceToFull(t, "a", false, [])).toEqual({ kind: "drop" });
    });
  }

  it("§8.5.2.1.2: a presence error to the bare JID goes to the available resources", () => {
    expect(presenceToBare("error", true, resources)).toEqual({ kind: "resources", resources: ["a", "neg"] });
  });
  it("§8.5.3.1: a presence error to a bound resource goes to it", () => {
    expect(presenceToFull("error", "a", true, resources)).toEqual({ kind: "resources", resources: ["a"] });
  });

  for (const t of accountTypes) {
    it(`§3 / §4.3: ${t} to the bare JID is handled by the account`, () => {
      expect(presenceToBare(t, true, resources)).toEqual({ kind: "account" });
    });
    it(`§8.5.3.1 / §8.5.3.2.2: ${t} to a full JID, bound or not, is handled by the account`, () => {
      expect(presenceToFull(t, "a", true, resources)).toEqual({ kind: "account" });
      expect(presenceToFull(t, "gone", true, resources)).toEqual({ kind: "account" });
    });
    it(`§8.5.1: ${t} to no account is silently ignored`, () => {
      expect(presenceToBare(t, false, [])).toEqual({ kind: "drop" });
    });
  }
});
