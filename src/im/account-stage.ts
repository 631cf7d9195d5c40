// Runs a stanza addressed to an account through the table's account-stage events and
// gives the one unhandled answer (RFC 6120 §8.2.3, §8.4: an IQ request gets an answer;
// to anyone but the owner it is the very answer a missing account gives, so it tells
// nothing about the account).
import type { HandlerTable } from "../pipeline/handler-table";
import { eventKeys, requestPayload } from "../pipeline/events";
import { parseJid } from "../jid/jid";
import { bareOf } from "../jid/jid";
import { type Element, errorReply } from "../xml/stanza";
import type { Account } from "./account";
import type { AccountContext } from "./account-context";

export async function deliverToAccount(table: HandlerTable<AccountContext>, account: Account, exists: boolean, stanza: Element, raw: string): Promise<string[]> {
  const replies: string[] = [];
  const to = parseJid(stanza.attrs.to ?? account.bare) ?? parseJid(account.bare)!;
  const fromBare = bareOf(stanza.attrs.from ?? "");
  const kind = to.resource ? "full" : fromBare === account.bare ? "self" : "bare";
  const ctx: AccountContext = {
    services: account.services, account, exists, stanza, raw, fromBare, to, kind,
    name: stanza.name as AccountContext["name"],
    type: stanza.attrs.type,
    payload: requestPayload(stanza),
    reply: (s) => replies.push(typeof s === "string" ? s : s.toString()),
  };
  if (!(await table.fire(eventKeys("", ctx.name, ctx.type, kind, ctx.payload), ctx))) unhandled(ctx);
  return replies;
}

function unhandled(ctx: AccountContext): void {
  if (ctx.name !== "iq" || (ctx.type !== "get" && ctx.type !== "set")) return;
  const bare = ctx.account.bare;
  if (!ctx.payload && ctx.kind === "self") ctx.reply(errorReply(ctx.stanza, "bad-request", "an IQ request carries exactly one payload", bare));
  else ctx.reply(errorReply(ctx.stanza, "service-unavailable", undefined, bare));
}
