// XEP-0356 §4.4 condition (a) where the privileged IQ arises (a component's router, a
// client's session): one whose `to` is not an account never reaches an account, so it is
// refused here with `forbidden`, logged and counted like every privileged action.
import type { Env } from "../env";
import type { GatewayConfig } from "../config";
import type { Element } from "../xml/stanza";
import { entityOf, misaddressedPrivilegedIq } from "./rules";
import { audit } from "./audit";

/** The refusal for a misaddressed privileged IQ, or null when `iq` is not one. */
export async function refuseMisaddressedIq(env: Env, config: GatewayConfig, iq: Element, replyFrom: string, count?: (key: string) => void): Promise<string[] | null> {
  const refused = misaddressedPrivilegedIq(config, iq, replyFrom);
  if (!refused) return null;
  const entity = entityOf(config, iq.attrs.from ?? "");
  await audit(env, config, { entity, access: "iq", action: iq.attrs.type ?? "", user: null, outcome: "forbidden", detail: `to ${iq.attrs.to ?? "(none)"}` }, count);
  return [refused.toString()];
}
