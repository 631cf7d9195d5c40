// XEP-0356 on the component router: advertisement, privileged stanzas from the component.
import type { ComponentFeature } from "../component/hooks";

export const privilegeFeature: ComponentFeature = {};
