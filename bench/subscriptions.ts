// What one block costs the WebSocket fan-out (issue 13, finding 8: 20k subscriptions made each block
// cost 4.7 s). Times SubscriptionHub delivering one block to 100 sockets × 100 newHeads
// subscriptions (sockets that only count bytes, so the figure is the server's work before the
// network), against formatting the block once per subscription as the server did before, in the
// same run. Prints JSON. Run: npx tsx bench/subscriptions.ts
import { DevNode } from "../src/chain/node.ts";
import { formatBlock } from "../src/rpc/format.ts";
import { SubscriptionHub, type SubscriberSocket } from "../src/rpc/subscriptions.ts";

const SOCKETS = 100;
const PER_SOCKET = 100;
const ROUNDS = 5;

const node = await DevNode.create({ runtime: null });
const [from] = node.accounts;
await node.sendTransaction({ from: from!.address, to: node.accounts[1]!.address, value: 1n });
const mined = node.blockByNumber(node.headNumber)!;
let bytes = 0;
const hub = new SubscriptionHub(node, PER_SOCKET);
for (let s = 0; s < SOCKETS; s++) {
  const socket: SubscriberSocket = { send: (text) => (bytes += text.length), bufferedAmount: 0, terminate: () => {}, open: true };
  for (let i = 0; i < PER_SOCKET; i++) hub.subscribe(socket, "newHeads");
}
const hubMs: number[] = [];
const perSubscriptionMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let started = performance.now();
  node.emit("block", mined);
  await hub.flushed();
  hubMs.push(performance.now() - started);
  // The old server: one formatBlock and one JSON.stringify per subscription.
  started = performance.now();
  for (let i = 0; i < SOCKETS * PER_SOCKET; i++) {
    const { transactions: _t, ...header } = formatBlock(mined, false);
    bytes += JSON.stringify({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: `0x${i.toString(16)}`, result: header } }).length;
  }
  perSubscriptionMs.push(performance.now() - started);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  JSON.stringify({
    subscriptions: SOCKETS * PER_SOCKET,
    rounds: ROUNDS,
    hubMedianMs: +median(hubMs).toFixed(1),
    formatPerSubscriptionMedianMs: +median(perSubscriptionMs).toFixed(1),
    ratio: +(median(perSubscriptionMs) / median(hubMs)).toFixed(1),
    bytesSent: bytes,
  }),
);
hub.close();
await node.close();
