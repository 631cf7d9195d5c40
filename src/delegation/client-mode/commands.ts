// XEP-0355 client mode: the RPC surface of the user's account for its grants
// (AccountObject.clientDelegation), as commands run against the store.
import type { ClientGrantStore, Grant, PendingAsk } from "./store";

/** The RPC surface of the account for client mode (AccountObject.clientDelegation). */
export type ClientCommand =
  | { op: "ask"; challenge: string; manager: string; namespaces: string[] }
  | { op: "list" }
  | { op: "answer-challenge"; challenge: string; yes: string[]; no: string[] }
  | { op: "apply"; answers: { manager: string; namespace: string; yes: boolean }[] }
  | { op: "lookup"; namespace: string };

export interface ClientAnswer {
  grants: Grant[];
  requests: PendingAsk[];
  /** Managers whose grants changed, each with its namespaces now granted. */
  changed: { manager: string; namespaces: string[] }[];
  manager: string | null;
  /** For "ask": false when the request was dropped (too many pending). */
  accepted: boolean;
}

export function runClientCommand(store: ClientGrantStore, cmd: ClientCommand): ClientAnswer {
  const out: ClientAnswer = { grants: [], requests: [], changed: [], manager: null, accepted: true };
  let changed: string[] = [];
  switch (cmd.op) {
    case "ask":
      out.accepted = store.ask(cmd.challenge, cmd.manager, cmd.namespaces);
      break;
    case "lookup":
      out.manager = store.managerFor(cmd.namespace);
      return out;
    case "answer-challenge": {
      const asked = store.requests().filter((r) => r.challenge === cmd.challenge);
      changed = store.apply(asked.map((r) => ({ manager: r.manager, namespace: r.namespace, yes: cmd.yes.includes(r.namespace) && !cmd.no.includes(r.namespace) })));
      break;
    }
    case "apply":
      changed = store.apply(cmd.answers);
      break;
    case "list":
      break;
  }
  out.grants = store.grants();
  out.requests = store.requests();
  out.changed = changed.map((m) => ({ manager: m, namespaces: out.grants.filter((g) => g.manager === m).map((g) => g.namespace) }));
  return out;
}

