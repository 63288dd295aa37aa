// aivm_getTensor: a tensor from the persistent store, by content id or persistent handle.
import type { Client, Hex } from "viem";
import type { StoredTensor } from "../types.ts";

export async function getTensor(client: Client, { handle }: { handle: Hex }): Promise<StoredTensor | null> {
  const request = client.request as unknown as (args: { method: "aivm_getTensor"; params: [Hex] }) => Promise<StoredTensor | null>;
  return request({ method: "aivm_getTensor", params: [handle] });
}
