// Where XEP-0356 rules meet the account: hooks the account calls as things happen.
// The privilege feature fills these in; with no privileged entities they do nothing.
import type { Account } from "../account/account";
import type { RosterItem } from "../account/roster-store";
import type { Element } from "../xml/stanza";

export const privilegeHooks = {
  /** A resource of the account broadcast a presence. */
  async ownPresence(_account: Account, _from: string, _pres: Element): Promise<void> {},
  /** The account received an available/unavailable presence from someone. */
  async contactPresence(_account: Account, _pres: Element): Promise<void> {},
  /** A roster item was created, changed or removed. */
  async rosterChanged(_account: Account, _item: RosterItem, _ver: string, _removed: boolean): Promise<void> {},
  /** A roster IQ from someone other than the owner: a privileged entity's, or null. */
  async rosterIq(_account: Account, _iq: Element, _query: Element): Promise<string | null> {
    return null;
  },
};
