// XEP-0049 private XML storage on the pipeline: get and set in the owner's account; the
// same request to another user's bare JID reaches that account and is refused there
// (forbidden). Removed with the account.
import type { Feature } from "../features/feature";
import type { AccountContext } from "../im/account-context";
import { iqEvent } from "../pipeline/events";
import { perStorage } from "../storage/per-storage";
import { NS } from "../xml/namespaces";
import { handlePrivateIq } from "./private-iq";
import { PrivateStore } from "./private-store";

const stores = perStorage((sql) => new PrivateStore(sql));

function privateIq(ctx: AccountContext): boolean {
  ctx.reply(handlePrivateIq(ctx.stanza, ctx.account.bare, stores(ctx.account.sql)));
  return true;
}

export const privateStorageFeature: Feature = {
  name: "private-storage",
  register(r) {
    for (const type of ["get", "set"]) for (const kind of ["self", "bare"] as const) r.account(iqEvent("", type, kind, NS.privateStorage, "query"), privateIq);
    r.accountDeleted(async (account) => stores(account.sql).deleteAll());
  },
};
