// XEP-0356 on the component router: the advertisement when the component connects (§4.1),
// the current presences it would have had (§7 business rule 1), privileged messages
// from it (§4.3) and misaddressed privileged IQs (§4.4 condition a). Everything else the
// component sends is left to the router (unwrapped stanzas route as usual).
//
// References: XEP-0356 v0.4.1 §4.1, §4.3, §4.4, §7; XEP-0114.
import type { ComponentFeature } from "../component/hooks";
import type { Router } from "../component/router";
import { type Element, newId } from "../xml/stanza";
import { advertisement, grantsFor } from "./rules";
import { refuseMisaddressedIq } from "./misaddressed";
import { handlePrivilegedMessage, isPrivilegedMessageToHost } from "./privileged-message";
import { currentPresences, deliverPresenceToComponent, grantsPresenceFrom } from "./presence";
import { parseTrusted } from "../xml/frame-parser";
import { countPrivilege, forgetSentPresences, lastAvailablePresences } from "./store";

export const privilegeFeature: ComponentFeature = {
  async connected(router: Router): Promise<void> {
    const grants = grantsFor(router.config, router.jid);
    if (grants.length === 0) return;
    for (const { host, grant } of grants) {
      await router.toComponent(advertisement(host, grant, router.jid, newId("priv-adv")));
    }
    // §7 rule 1: every presence the component would have had, once. Sources: the last
    // presence per full JID that reached this router (also while the component was away:
    // contacts of offline users), overridden by what the host's online accounts hold now.
    const current = new Map<string, Element>();
    for (const { jid, stanza } of lastAvailablePresences(router.store.sql)) {
      if (grantsPresenceFrom(router.config, router.jid, jid)) current.set(jid, parseTrusted(stanza));
    }
    for (const { host, grant } of grants) {
      for (const p of await currentPresences(router.env, host, grant)) current.set(p.attrs.from ?? "", p);
    }
    forgetSentPresences(router.store.sql);
    for (const p of current.values()) {
      p.attrs.to = router.jid;
      if (deliverPresenceToComponent(router, p)) await router.toComponent(p);
    }
  },

  async fromComponent(router: Router, stanza: Element): Promise<string[] | null> {
    if (stanza.name === "message" && isPrivilegedMessageToHost(router.config, stanza)) {
      return handlePrivilegedMessage(router.env, router.config, stanza, (key) => countPrivilege(router.store.sql, key));
    }
    if (stanza.name === "iq") return refuseMisaddressedIq(router.env, router.config, stanza, router.jid, (key) => countPrivilege(router.store.sql, key));
    return null;
  },
};
