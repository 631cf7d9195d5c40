// The features that plug into every component router, in the order they see stanzas.
import { registerComponentFeature } from "./hooks";
import { delegationFeature } from "../delegation/component-feature";
import { privilegeFeature } from "../privilege/component-feature";

registerComponentFeature(delegationFeature);
registerComponentFeature(privilegeFeature);
