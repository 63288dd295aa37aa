// The chain runs Osaka: a contract compiled for it (evmVersion osaka, the node's solc settings) that
// uses CLZ runs on the dev node, and the same bytecode fails on a node started with Prague rules.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { Hardfork } from "@ethereumjs/common";
import { decodeFunctionResult, encodeDeployData, encodeFunctionData, type Abi } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { SOLC_SETTINGS, getContract } from "../../src/chain/solc.ts";
import { nodeConnection } from "../../src/cli/demo-lm.ts";

const probe = getContract("ClzProbe", undefined, ["test/ClzProbe.sol"]);
const abi = probe.abi as Abi;
const nodes: DevNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
});

async function deployOn(hardfork?: string) {
  const node = await DevNode.create({ runtime: null, ...(hardfork ? { hardfork } : {}) });
  nodes.push(node);
  const conn = await nodeConnection(node);
  const hash = await conn.wallet.sendTransaction({ data: encodeDeployData({ abi, bytecode: probe.bytecode }), account: conn.account, chain: null });
  const address = (await conn.public.waitForTransactionReceipt({ hash })).contractAddress!;
  const leadingZeros = async (x: bigint) => {
    const data = await conn.public.call({ to: address, data: encodeFunctionData({ abi, functionName: "leadingZeros", args: [x] }) });
    return decodeFunctionResult({ abi, functionName: "leadingZeros", data: data.data! }) as bigint;
  };
  return { leadingZeros };
}

test("a contract compiled for Osaka uses CLZ on the dev node", async () => {
  assert.equal(SOLC_SETTINGS.evmVersion, "osaka");
  const { leadingZeros } = await deployOn();
  assert.equal(await leadingZeros(1n), 255n);
  assert.equal(await leadingZeros(0n), 256n);
  assert.equal(await leadingZeros(2n ** 255n), 0n);
});

test("the same bytecode fails on a node with Prague rules, where 0x1e is not an opcode", async () => {
  const { leadingZeros } = await deployOn(Hardfork.Prague);
  await assert.rejects(leadingZeros(1n));
});
