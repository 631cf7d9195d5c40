// The composition root: the list of features, and the gateway they make for one
// configuration (its handler table, what happens in accounts and around components,
// disco contributions). Durable Objects build their stages from here; no other
// module knows the features.
import type { GatewayConfig, HostConfig } from "../config";
import type { DiscoContributions, RouteContext, Services } from "../pipeline/context";
import { HandlerTable, type Handler } from "../pipeline/handler-table";
import type { Account, AccountEvents } from "../im/account";
import type { AccountContext } from "../im/account-context";
import type { ComponentEvents, ComponentMailbox } from "../component/mailbox";
import type { Element } from "../xml/stanza";
import type { Feature, Registry } from "./feature";
import { routingFeature } from "../routing/feature";
import { imFeature } from "../im/feature";
import { discoFeature } from "../disco/feature";
import { registrationFeature } from "../registration/feature";
import { delegationFeature } from "../delegation/feature";
import { clientModeFeature } from "../delegation/client-mode/feature";
import { privilegeFeature } from "../privilege/feature";
import { componentStatusFeature } from "../admin/component-status-feature";
import { outgoingFeature } from "../im/outgoing";
import { blockingFeature } from "../blocking/feature";
import { mamFeature } from "../mam/feature";
import { carbonsFeature } from "../carbons/feature";
import { vcardFeature } from "../vcard/feature";
import { privateStorageFeature } from "../private-storage/feature";

/** Every feature of the gateway, in registration order (ties in priority go to the first;
 *  account events run in this order: blocking refuses before the archive keeps a message,
 *  which is stamped with its archive id before carbons copy it). */
export const FEATURES: readonly Feature[] = [
  routingFeature, imFeature, discoFeature, registrationFeature, delegationFeature, clientModeFeature, privilegeFeature,
  outgoingFeature, blockingFeature, mamFeature, carbonsFeature, vcardFeature, privateStorageFeature, componentStatusFeature,
];

export interface Gateway {
  readonly routes: HandlerTable<RouteContext>;
  readonly accountStage: HandlerTable<AccountContext>;
  readonly accountEvents: AccountEvents;
  readonly componentEvents: ComponentEvents;
  readonly disco: DiscoContributions;
  accountAlarm(account: Account): Promise<void>;
  componentAlarm(mailbox: ComponentMailbox): Promise<void>;
  accountDeleted(account: Account): Promise<void>;
}

type Where = "host" | "account";

function build(config: GatewayConfig): Gateway {
  const routes = new HandlerTable<RouteContext>();
  const accountStage = new HandlerTable<AccountContext>();
  const accountParts: Partial<AccountEvents>[] = [];
  const componentParts: Partial<ComponentEvents>[] = [];
  const accountAlarms: ((a: Account) => Promise<void>)[] = [];
  const componentAlarms: ((m: ComponentMailbox) => Promise<void>)[] = [];
  const deleted: ((a: Account) => Promise<void>)[] = [];
  const discoFeatures: Record<Where, ((host: HostConfig) => string[])[]> = { host: [], account: [] };
  const discoExtensions: Record<Where, ((host: HostConfig, q: Element, s: Services) => Promise<Element>)[]> = { host: [], account: [] };

  for (const feature of FEATURES) {
    const registry: Registry = {
      config,
      route: (event, handler: Handler<RouteContext>, priority) => routes.on(event, feature.name, handler, priority),
      account: (event, handler: Handler<AccountContext>, priority) => accountStage.on(event, feature.name, handler, priority),
      accountEvents: (e) => void accountParts.push(e),
      componentEvents: (e) => void componentParts.push(e),
      accountAlarm: (fn) => void accountAlarms.push(fn),
      componentAlarm: (fn) => void componentAlarms.push(fn),
      accountDeleted: (fn) => void deleted.push(fn),
      disco: (where, f) => void discoFeatures[where].push(f),
      discoExtension: (where, f) => void discoExtensions[where].push(f),
    };
    feature.register(registry);
  }

  const all = async <K extends keyof AccountEvents>(k: K, ...args: Parameters<AccountEvents[K]>) => {
    for (const part of accountParts) await (part[k] as ((...a: Parameters<AccountEvents[K]>) => Promise<void>) | undefined)?.(...args);
  };
  const accountEvents: AccountEvents = {
    presenceBroadcast: (...a) => all("presenceBroadcast", ...a),
    contactPresence: (...a) => all("contactPresence", ...a),
    rosterChanged: (...a) => all("rosterChanged", ...a),
    online: (...a) => all("online", ...a),
    initialPresence: (...a) => all("initialPresence", ...a),
    messageSent: (...a) => all("messageSent", ...a),
    messageDelivered: (...a) => all("messageDelivered", ...a),
    async outboundFilter(account, stanza) {
      for (const part of accountParts) {
        const refused = await part.outboundFilter?.(account, stanza);
        if (refused) return refused;
      }
      return null;
    },
    async messageArriving(account, msg, resources) {
      let changed = false;
      for (const part of accountParts) changed = (await part.messageArriving?.(account, msg, resources)) === true || changed;
      return changed;
    },
  };
  const componentEvents: ComponentEvents = {
    async connected(m) {
      for (const p of componentParts) await p.connected?.(m);
    },
    async disconnected(m) {
      for (const p of componentParts) await p.disconnected?.(m);
    },
    takes: (config, stanza) => componentParts.some((p) => p.takes?.(config, stanza) ?? false),
    async fromComponent(m, stanza) {
      for (const p of componentParts) {
        const taken = await p.fromComponent?.(m, stanza);
        if (taken) return taken;
      }
      return null;
    },
    toComponent: (m, stanza) => componentParts.every((p) => p.toComponent?.(m, stanza) ?? true),
  };
  const disco: DiscoContributions = {
    features: (where, host) => discoFeatures[where].flatMap((f) => f(host)),
    async extend(where, host, query, services) {
      let q = query;
      for (const f of discoExtensions[where]) q = await f(host, q, services);
      return q;
    },
  };
  return {
    routes, accountStage, accountEvents, componentEvents, disco,
    async accountAlarm(account) {
      for (const fn of accountAlarms) await fn(account);
    },
    async componentAlarm(mailbox) {
      for (const fn of componentAlarms) await fn(mailbox);
    },
    async accountDeleted(account) {
      for (const fn of deleted) await fn(account);
    },
  };
}

const built = new WeakMap<GatewayConfig, Gateway>();

/** The gateway for a configuration, built once per configuration object. */
export function gatewayFor(config: GatewayConfig): Gateway {
  let g = built.get(config);
  if (!g) built.set(config, (g = build(config)));
  return g;
}
