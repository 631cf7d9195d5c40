// XEP-0054 vcard-temp on the pipeline: get and set of one's own vCard (to oneself) and
// get of another user's (to their bare JID), answered in the account addressed; a set to
// someone else's is refused there (forbidden). Removed with the account.
import type { Feature } from "../features/feature";
import type { AccountContext } from "../im/account-context";
import { iqEvent } from "../pipeline/events";
import { perStorage } from "../storage/per-storage";
import { NS } from "../xml/namespaces";
import { handleVcardIq } from "./vcard-iq";
import { VcardStore } from "./vcard-store";
import { VCARD_FEATURES } from "./index";

const stores = perStorage((sql) => new VcardStore(sql));

function vcardIq(ctx: AccountContext): boolean {
  ctx.reply(handleVcardIq(ctx.stanza, ctx.account.bare, stores(ctx.account.sql)));
  return true;
}

export const vcardFeature: Feature = {
  name: "vcard",
  register(r) {
    for (const type of ["get", "set"]) for (const kind of ["self", "bare"] as const) r.account(iqEvent("", type, kind, NS.vcard, "vCard"), vcardIq);
    r.accountDeleted(async (account) => stores(account.sql).deleteAll());
    r.disco("host", () => [...VCARD_FEATURES]);
  },
};
