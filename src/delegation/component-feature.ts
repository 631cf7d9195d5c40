// XEP-0355 on the component router: advertisement, disco nesting, delegated replies.
import type { ComponentFeature } from "../component/hooks";

export const delegationFeature: ComponentFeature = {};
