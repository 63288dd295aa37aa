// viem integration: the chain definition and the AIVM actions (`client.extend(aivmActions())`).
export { aivmChain, aivmChainAt } from "./chain.ts";
export { aivmActions, type AivmActions } from "./actions.ts";
export { quote } from "./actions/quote.ts";
export { getReceipts } from "./actions/getReceipts.ts";
export { getAnchor } from "./actions/getAnchor.ts";
export { getReceiptProof } from "./actions/getReceiptProof.ts";
export { getTensor } from "./actions/getTensor.ts";
export { getCongestion } from "./actions/getCongestion.ts";
export { getVrf } from "./actions/getVrf.ts";
export type * from "./types.ts";
