// XEP-0356 §4.4 condition (a) where the privileged IQ arises (a component's router, a
// client's session): one whose `to` is not an account never reaches an account, so it is
// refused here with `forbidden`, logged and counted like every privileged action.
import type { Services } from "../pipeline/context";
import type { Element } from "../xml/stanza";
import { entityOf, misaddressedPrivilegedIq } from "./rules";
import { audit } from "./audit";
import type { AuditDetail } from "./store";

/** The refusal for a misaddressed privileged IQ, or null when `iq` is not one. */
export async function refuseMisaddressedIq(services: Services, iq: Element, replyFrom: string, count?: (key: string, detail: AuditDetail) => void): Promise<string[] | null> {
  const refused = misaddressedPrivilegedIq(services.config, iq, replyFrom);
  if (!refused) return null;
  const entity = entityOf(services.config, iq.attrs.from ?? "");
  await audit(services, { entity, access: "iq", action: iq.attrs.type ?? "", user: null, outcome: "forbidden", detail: `to ${iq.attrs.to ?? "(none)"}` }, count);
  return [refused.toString()];
}
