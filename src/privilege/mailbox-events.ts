// XEP-0356 in the component's mailbox: the advertisement when the component connects (§4.1),
// the current presences it would have had (§7 business rule 1), privileged messages
// from it (§4.3) and misaddressed privileged IQs (§4.4 condition a). Everything else the
// component sends is routed as usual. Presences to it are de-duplicated (§7 rule 2).
//
// References: XEP-0356 v0.4.1 §4.1, §4.3, §4.4, §7; XEP-0114.
import type { ComponentEvents, ComponentMailbox } from "../component/mailbox";
import { type Element, newId } from "../xml/stanza";
import { advertisement, grantsFor, isPrivilegedIq } from "./rules";
import { refuseMisaddressedIq } from "./misaddressed";
import { handlePrivilegedMessage, isPrivilegedMessageToHost } from "./privileged-message";
import { currentPresences, deliverPresenceToComponent, grantsPresenceFrom } from "./presence";
import { parseTrusted } from "../xml/frame-parser";
import { type AuditDetail, countPrivilege, forgetSentPresences, lastAvailablePresences, recordAuditDetail } from "./store";

/** Counting in the mailbox itself, which is the entity's own object. */
function recordLocally(sql: SqlStorage, key: string, detail: AuditDetail): void {
  countPrivilege(sql, key);
  recordAuditDetail(sql, detail);
}

export const privilegeMailboxEvents: Pick<ComponentEvents, "connected" | "takes" | "fromComponent" | "toComponent"> = {
  /** Privileged messages and IQs are counted in the mailbox (the entity's own object). */
  takes(config, stanza) {
    return (stanza.name === "message" && isPrivilegedMessageToHost(config, stanza)) || (stanza.name === "iq" && isPrivilegedIq(stanza));
  },

  async connected(mailbox: ComponentMailbox): Promise<void> {
    const grants = grantsFor(mailbox.config, mailbox.jid);
    if (grants.length === 0) return;
    for (const { host, grant } of grants) {
      await mailbox.toComponent(advertisement(host, grant, mailbox.jid, newId("priv-adv")));
    }
    // §7 rule 1: every presence the component would have had, once. Sources: the last
    // presence per full JID that reached this mailbox (also while the component was away:
    // contacts of offline users), overridden by what the host's online accounts hold now.
    const current = new Map<string, Element>();
    for (const { jid, stanza } of lastAvailablePresences(mailbox.store.sql)) {
      if (grantsPresenceFrom(mailbox.config, mailbox.jid, jid)) current.set(jid, parseTrusted(stanza));
    }
    for (const { host, grant } of grants) {
      for (const p of await currentPresences(mailbox.services.ports, host, grant)) current.set(p.attrs.from ?? "", p);
    }
    forgetSentPresences(mailbox.store.sql);
    for (const p of current.values()) {
      p.attrs.to = mailbox.jid;
      if (deliverPresenceToComponent(mailbox, p)) await mailbox.toComponent(p);
    }
  },

  async fromComponent(mailbox: ComponentMailbox, stanza: Element): Promise<string[] | null> {
    if (stanza.name === "message" && isPrivilegedMessageToHost(mailbox.config, stanza)) {
      return handlePrivilegedMessage(mailbox.services, stanza, (key, detail) => recordLocally(mailbox.store.sql, key, detail));
    }
    if (stanza.name === "iq") return refuseMisaddressedIq(mailbox.services, stanza, mailbox.jid, (key, detail) => recordLocally(mailbox.store.sql, key, detail));
    return null;
  },

  /** §7 rule 2: a presence copy the component already has is not sent again; the copies
   *  sent are counted (`presence copy/ok`). */
  toComponent(mailbox: ComponentMailbox, stanza: Element): boolean {
    if (stanza.name !== "presence") return true;
    const send = deliverPresenceToComponent(mailbox, stanza);
    if (send && stanza.attrs.to === mailbox.jid && grantsPresenceFrom(mailbox.config, mailbox.jid, stanza.attrs.from ?? "")) {
      countPrivilege(mailbox.store.sql, "presence copy/ok");
    }
    return send;
  },
};
