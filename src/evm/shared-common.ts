// One Common per kind of object, shared instead of copied. Every EthereumJS block header and
// transaction constructor copies the Common it is given and merges its params into the copy (a
// JSON round trip of the whole params table: about 0.2 ms each, a fifth of a plain eth_call and a
// tenth of an empty block). On this chain the hardfork and params never change, so the node hands
// out a copy whose copy() returns itself and which merges each params table only the first time.
// Nothing here may call setHardfork on it (the node never does: one fork from genesis).
import type { Common } from "@ethereumjs/common";

type Params = Parameters<Common["updateParams"]>[0];

export function sharedCommon(common: Common, ...params: Params[]): Common {
  const shared = common.copy();
  const merged = new WeakSet<object>();
  const update = shared.updateParams.bind(shared);
  shared.updateParams = (p: Params) => {
    if (!merged.has(p)) {
      merged.add(p);
      update(p);
    }
  };
  for (const p of params) shared.updateParams(p);
  shared.copy = () => shared;
  return shared;
}
