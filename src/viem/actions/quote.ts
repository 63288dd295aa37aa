// aivm_quote: the exact gas of a call (run on a snapshot of the current state) or of a program.
import type { Client, Hex } from "viem";
import { parseOpReceipt, type AivmRpcSchema, type QuoteCallParameters, type QuoteProgramParameters, type QuoteResult, type RpcOpReceipt } from "../types.ts";

export async function quote(client: Client, parameters: QuoteCallParameters | QuoteProgramParameters): Promise<QuoteResult> {
  const request = client.request as unknown as (args: { method: "aivm_quote"; params: AivmRpcSchema[0]["Parameters"] }) => Promise<Record<string, unknown>>;
  const params: AivmRpcSchema[0]["Parameters"] =
    "program" in parameters
      ? [{ program: parameters.program }]
      : [
          {
            ...(parameters.account ? { from: parameters.account } : {}),
            to: parameters.to,
            ...(parameters.data ? { data: parameters.data } : {}),
            ...(parameters.value !== undefined ? { value: `0x${parameters.value.toString(16)}` } : {}),
          },
          parameters.blockTag ?? "latest",
        ];
  const raw = await request({ method: "aivm_quote", params });
  const big = (v: unknown) => (typeof v === "string" ? BigInt(v) : undefined);
  return {
    gas: BigInt(raw.gas as string),
    ...(raw.aivmGas !== undefined ? { aivmGas: big(raw.aivmGas) } : {}),
    ...(raw.flops !== undefined ? { flops: big(raw.flops) } : {}),
    ...(raw.returnData !== undefined ? { returnData: raw.returnData as Hex } : {}),
    ...(raw.traceRoot !== undefined ? { traceRoot: raw.traceRoot as Hex } : {}),
    ...(Array.isArray(raw.receipts) ? { receipts: (raw.receipts as RpcOpReceipt[]).map(parseOpReceipt) } : {}),
  };
}
