// `client.extend(aivmActions())`: the AIVM actions on any viem client.
import type { Account, Chain, Client, Hash, Hex, Transport } from "viem";
import { getAnchor } from "./actions/getAnchor.ts";
import { getCongestion } from "./actions/getCongestion.ts";
import { getReceiptProof } from "./actions/getReceiptProof.ts";
import { getReceipts } from "./actions/getReceipts.ts";
import { getTensor } from "./actions/getTensor.ts";
import { getVrf } from "./actions/getVrf.ts";
import { quote } from "./actions/quote.ts";
import type { BlockAnchor, BlockVrf, Congestion, QuoteCallParameters, QuoteProgramParameters, QuoteResult, ReceiptProof, StoredTensor, TxReceipts } from "./types.ts";

// A type alias (not an interface) so it has the implicit index signature client.extend() requires.
export type AivmActions = {
  /** Exact gas of a call (on the current state) or of a tensor program, before running it. */
  quote(parameters: QuoteCallParameters | QuoteProgramParameters): Promise<QuoteResult>;
  /** AIVM op receipts of a mined transaction. */
  getReceipts(parameters: { hash: Hash }): Promise<TxReceipts | null>;
  /** Block anchor of a block (latest when omitted). */
  getAnchor(parameters?: { blockNumber?: bigint }): Promise<BlockAnchor | null>;
  /** Merkle proof of one receipt of a transaction against its block anchor. */
  getReceiptProof(parameters: { hash: Hash; index?: number }): Promise<ReceiptProof | null>;
  /** A stored tensor by content id or persistent handle. */
  getTensor(parameters: { handle: Hex }): Promise<StoredTensor | null>;
  /** The congestion multiplier. */
  getCongestion(): Promise<Congestion>;
  /** A block's VRF proof and output (latest when omitted; null for genesis). */
  getVrf(parameters?: { blockNumber?: bigint }): Promise<BlockVrf | null>;
};

export function aivmActions() {
  return <transport extends Transport, chain extends Chain | undefined, account extends Account | undefined>(
    client: Client<transport, chain, account>,
  ): AivmActions => ({
    quote: (parameters) => quote(client, parameters),
    getReceipts: (parameters) => getReceipts(client, parameters),
    getAnchor: (parameters) => getAnchor(client, parameters),
    getReceiptProof: (parameters) => getReceiptProof(client, parameters),
    getTensor: (parameters) => getTensor(client, parameters),
    getCongestion: () => getCongestion(client),
    getVrf: (parameters) => getVrf(client, parameters),
  });
}
