// The JSON-RPC method table: eth_*, net_*, web3_*, evm_*, hardhat_* and aivm_*. Each entry parses
// its params (bad params → -32602), calls the node, and formats the result. Transport-free: the
// HTTP/WebSocket server and the in-process EIP-1193 provider both dispatch through it.
import { bytesToHex, hexToBytes } from "@ethereumjs/util";
import { keccak256One } from "../commit/keccak.ts";
import { rawTxChainId, type DevNode } from "../chain/node.ts";
import { CONGESTION_ADDRESS } from "../chain/genesis.ts";
import { txAivmReceipts } from "../chain/engine-chain.ts";
import { getBlob } from "../../precompiles/memory.ts";
import { readBlockVrf, readVrfPublicKey, vrfAlpha } from "../chain/block-randomness.ts";
import { EXECUTION_REVERTED, InvalidParamsError, MethodNotFoundError, RpcError, SERVER_ERROR, revertMessage } from "./errors.ts";
import { FilterRegistry } from "./filters.ts";
import { formatAnchor, formatBlock, formatOpReceipt, formatReceipt, formatTrace, formatTransaction, q } from "./format.ts";
import { queryLogs } from "./logs.ts";
import { MAX_UINT64, address, blockNumberOf, blockNumberParam, blockRef, bool, callRequest, data, hash, logFilter, paramList, quantity, stateOverrides, uint64 } from "./params.ts";
import { receiptProof } from "./receipt-proof.ts";
import { signPersonalMessage, signTypedDataV4 } from "./sign.ts";
import { createDebugMethods } from "./debug-methods.ts";

export const CLIENT_VERSION = "aivm/0.1.0";

/** hardhat_* methods anvil also serves as anvil_*, with the same parameters. */
const ANVIL_ALIASES = [
  "mine",
  "setBalance",
  "setCode",
  "setNonce",
  "setStorageAt",
  "setCoinbase",
  "setNextBlockBaseFeePerGas",
  "impersonateAccount",
  "stopImpersonatingAccount",
  "dropTransaction",
  "getAutomine",
] as const;

export type MethodHandler = (params: unknown[]) => Promise<unknown> | unknown;
export type MethodTable = Record<string, MethodHandler>;

const FEE_HISTORY_MAX_BLOCKS = 1024n;
/** Storage keys one eth_getProof may ask for (each is a trie walk). */
const MAX_PROOF_KEYS = 1000;
/** setInterval's largest delay; a longer one would silently become 1 ms (mining every millisecond). */
const MAX_INTERVAL_MS = 2n ** 31n - 1n;

export function createMethodTable(node: DevNode): MethodTable {
  const filters = new FilterRegistry(node);
  const p = (params: unknown[], min: number, max: number, method: string) => paramList(params, min, max, method);

  // A block past the head is null, as on Hardhat's node.
  const blockByRef = (value: unknown) => node.blockByNumber(blockNumberParam(value, node));

  const table: MethodTable = {
    // ---------------------------------------------------------------- chain info
    eth_chainId: () => q(node.chainId),
    net_version: () => String(node.chainId),
    net_listening: () => true,
    net_peerCount: () => "0x0",
    web3_clientVersion: () => CLIENT_VERSION,
    web3_sha3: (params) => {
      const [input] = p(params, 1, 1, "web3_sha3");
      return bytesToHex(keccak256One(hexToBytes(data(input, "data"))));
    },
    eth_syncing: () => false,
    eth_mining: () => true,
    eth_hashrate: () => "0x0",
    eth_coinbase: () => node.coinbase,
    eth_accounts: () => node.accounts.map((a) => a.address),
    eth_requestAccounts: () => node.accounts.map((a) => a.address),
    eth_blockNumber: () => q(node.headNumber),
    eth_gasPrice: () => q(node.nextBaseFee() + 1_000_000_000n),
    eth_maxPriorityFeePerGas: () => q(1_000_000_000n),
    eth_blobBaseFee: () => "0x1",
    eth_feeHistory: (params) => {
      const [countRaw, newestRaw, percentilesRaw] = p(params, 2, 3, "eth_feeHistory");
      let count = quantity(countRaw, "blockCount");
      if (count > FEE_HISTORY_MAX_BLOCKS) count = FEE_HISTORY_MAX_BLOCKS;
      const newest = blockNumberOf(blockRef(newestRaw, node, "newestBlock"), node);
      const percentiles = percentilesRaw === undefined || percentilesRaw === null ? [] : percentilesRaw;
      if (!Array.isArray(percentiles) || percentiles.length > 100 || percentiles.some((x) => typeof x !== "number" || x < 0 || x > 100)) {
        throw new InvalidParamsError("Invalid rewardPercentiles: expected up to 100 numbers in [0, 100].");
      }
      const oldest = newest + 1n > count ? newest + 1n - count : 0n;
      const baseFeePerGas: string[] = [];
      const gasUsedRatio: number[] = [];
      const reward: string[][] = [];
      for (let n = oldest; n <= newest; n++) {
        const h = node.blockByNumber(n)!.block.header;
        baseFeePerGas.push(q(h.baseFeePerGas ?? 0n));
        gasUsedRatio.push(Number(h.gasUsed) / Number(h.gasLimit));
        reward.push(percentiles.map(() => q(1_000_000_000n)));
      }
      const next = node.blockByNumber(newest)!.block.header.calcNextBaseFee();
      baseFeePerGas.push(q(next));
      return { oldestBlock: q(oldest), baseFeePerGas, gasUsedRatio, ...(percentiles.length ? { reward } : {}) };
    },

    // ---------------------------------------------------------------- state
    eth_getBalance: async (params) => {
      const [who, tag] = p(params, 1, 2, "eth_getBalance");
      return q(await node.getBalance(address(who, "address"), blockRef(tag, node)));
    },
    eth_getTransactionCount: async (params) => {
      const [who, tag] = p(params, 1, 2, "eth_getTransactionCount");
      return q(await node.getNonce(address(who, "address"), blockRef(tag, node)));
    },
    eth_getCode: async (params) => {
      const [who, tag] = p(params, 1, 2, "eth_getCode");
      return node.getCode(address(who, "address"), blockRef(tag, node));
    },
    eth_getStorageAt: async (params) => {
      const [who, slot, tag] = p(params, 2, 3, "eth_getStorageAt");
      const key = typeof slot === "string" && slot.length === 66 ? hash(slot, "slot") : q(quantity(slot, "slot"));
      return node.getStorageAt(address(who, "address"), key as `0x${string}`, blockRef(tag, node));
    },

    // ---------------------------------------------------------------- execution
    eth_getProof: async (params) => {
      const [who, keys, tag] = p(params, 2, 3, "eth_getProof");
      if (!Array.isArray(keys)) throw new InvalidParamsError("Invalid storageKeys: expected an array of 32-byte keys.");
      if (keys.length > MAX_PROOF_KEYS) throw new InvalidParamsError(`Invalid storageKeys: at most ${MAX_PROOF_KEYS} keys per request.`);
      // Like geth: a key is hex of up to 32 bytes, odd length allowed ("0x2" is slot 2).
      const slots = keys.map((k, i) => {
        if (typeof k !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(k)) throw new InvalidParamsError(`Invalid storageKeys[${i}]: expected 0x-prefixed hex of at most 32 bytes.`);
        return hexToBytes(`0x${k.slice(2).padStart(64, "0")}`);
      });
      const proof = await node.getProof(address(who, "address"), slots, tag === undefined ? "latest" : blockRef(tag, node));
      // Values are quantities ("0x5", not "0x05"), and a missing account still answers each key (value 0), as geth and Hardhat do.
      const storageProof = slots.map((slot, i) => {
        const entry = proof.storageProof[i];
        return { key: entry?.key ?? bytesToHex(slot), value: q(BigInt(entry?.value && entry.value !== "0x" ? entry.value : 0)), proof: entry?.proof ?? [] };
      });
      return { ...proof, storageProof };
    },
    eth_call: async (params) => {
      const [req, tag, overrides] = p(params, 1, 3, "eth_call");
      return (await node.call(callRequest(req), blockRef(tag, node), { overrides: stateOverrides(overrides) })).returnData;
    },
    eth_estimateGas: async (params) => {
      const [req, tag, overrides] = p(params, 1, 3, "eth_estimateGas");
      return q(await node.estimateGas(callRequest(req), tag === undefined ? "pending" : blockRef(tag, node), stateOverrides(overrides)));
    },
    eth_createAccessList: async (params) => {
      const [req, tag] = p(params, 1, 2, "eth_createAccessList");
      const { accessList, gasUsed } = await node.createAccessList(callRequest(req), tag === undefined ? "pending" : blockRef(tag, node));
      return { accessList, gasUsed: q(gasUsed) };
    },
    eth_sendTransaction: async (params) => {
      const [req] = p(params, 1, 1, "eth_sendTransaction");
      const parsed = callRequest(req);
      if (!parsed.from) throw new InvalidParamsError("Invalid transaction.from: required by eth_sendTransaction.");
      const chainId = (req as Record<string, unknown>).chainId;
      if (chainId !== undefined && chainId !== null && quantity(chainId, "transaction.chainId") !== BigInt(node.chainId)) {
        // Hardhat's wording.
        throw new InvalidParamsError(`Invalid chainId ${quantity(chainId, "transaction.chainId")} provided, expected ${node.chainId} instead.`);
      }
      const txHash = await node.sendTransaction(parsed);
      // Without a gas limit the estimate already refused a failing transaction. With one, it is
      // mined, and Hardhat then answers code 3 with the return data, so writeContract({ gas }) rejects.
      const failure = parsed.gas !== undefined ? node.transaction(txHash)?.record.failure : undefined;
      if (failure) {
        // Out of gas is no revert: Hardhat's node answers -32000 for it (code 3 for reverts and invalid opcodes).
        if (failure.reason === "out of gas") throw new RpcError(SERVER_ERROR, `Transaction ran out of gas (transaction ${txHash} was mined with status 0)`, failure.data);
        const message = failure.reason === "revert" ? revertMessage(failure.data) : `execution failed: ${failure.reason}`;
        throw new RpcError(EXECUTION_REVERTED, `${message} (transaction ${txHash} was mined with status 0)`, failure.data);
      }
      return txHash;
    },
    eth_sign: (params) => {
      const [who, message] = p(params, 2, 2, "eth_sign");
      return signPersonalMessage(node, address(who, "address"), data(message, "message"));
    },
    personal_sign: (params) => {
      // personal_sign puts the message first (geth's order), eth_sign the address.
      const [message, who] = p(params, 2, 3, "personal_sign");
      return signPersonalMessage(node, address(who, "address"), data(message, "message"));
    },
    eth_signTypedData_v4: (params) => {
      const [who, typedData] = p(params, 2, 2, "eth_signTypedData_v4");
      return signTypedDataV4(node, address(who, "address"), typedData);
    },
    eth_sendRawTransaction: async (params) => {
      const [raw] = p(params, 1, 1, "eth_sendRawTransaction");
      const bytes = hexToBytes(data(raw, "transaction"));
      const chainId = rawTxChainId(bytes);
      // Hardhat's code and wording.
      if (chainId !== undefined && chainId !== BigInt(node.chainId)) throw new InvalidParamsError(`Trying to send a raw transaction with an invalid chainId. The expected chainId is ${node.chainId}`);
      return node.sendRawTransaction(bytes);
    },

    // ---------------------------------------------------------------- blocks and transactions
    eth_getBlockByNumber: (params) => {
      const [tag, full] = p(params, 1, 2, "eth_getBlockByNumber");
      if (tag === "pending") return formatPendingBlock(node, full === undefined ? false : bool(full, "fullTransactions"));
      const mined = blockByRef(tag);
      return mined ? formatBlock(mined, full === undefined ? false : bool(full, "fullTransactions")) : null;
    },
    eth_getBlockByHash: (params) => {
      const [h, full] = p(params, 1, 2, "eth_getBlockByHash");
      const mined = node.blockByHashHex(hash(h, "blockHash"));
      return mined ? formatBlock(mined, full === undefined ? false : bool(full, "fullTransactions")) : null;
    },
    eth_getBlockTransactionCountByNumber: (params) => {
      const [tag] = p(params, 1, 1, "eth_getBlockTransactionCountByNumber");
      const mined = blockByRef(tag);
      return mined ? q(mined.block.transactions.length) : null;
    },
    eth_getBlockTransactionCountByHash: (params) => {
      const [h] = p(params, 1, 1, "eth_getBlockTransactionCountByHash");
      const mined = node.blockByHashHex(hash(h, "blockHash"));
      return mined ? q(mined.block.transactions.length) : null;
    },
    eth_getUncleCountByBlockNumber: () => "0x0",
    eth_getUncleCountByBlockHash: () => "0x0",
    eth_getTransactionByHash: (params) => {
      const [h] = p(params, 1, 1, "eth_getTransactionByHash");
      const txHash = hash(h, "transactionHash");
      const found = node.transaction(txHash);
      if (found) return formatTransaction(found.tx, found.record, found.block);
      const pending = node.pendingTransaction(txHash);
      return pending ? formatTransaction(pending.tx, pending, undefined) : null;
    },
    eth_getTransactionByBlockNumberAndIndex: (params) => {
      const [tag, index] = p(params, 2, 2, "eth_getTransactionByBlockNumberAndIndex");
      const mined = blockByRef(tag);
      const i = Number(quantity(index, "index"));
      const record = mined?.record.txs[i];
      return mined && record ? formatTransaction(mined.block.transactions[i]!, record, mined.block) : null;
    },
    eth_getTransactionByBlockHashAndIndex: (params) => {
      const [h, index] = p(params, 2, 2, "eth_getTransactionByBlockHashAndIndex");
      const mined = node.blockByHashHex(hash(h, "blockHash"));
      const i = Number(quantity(index, "index"));
      const record = mined?.record.txs[i];
      return mined && record ? formatTransaction(mined.block.transactions[i]!, record, mined.block) : null;
    },
    eth_getTransactionReceipt: (params) => {
      const [h] = p(params, 1, 1, "eth_getTransactionReceipt");
      const found = node.transaction(hash(h, "transactionHash"));
      return found ? formatReceipt(found.record, found.block) : null;
    },
    eth_getBlockReceipts: (params) => {
      const [tag] = p(params, 1, 1, "eth_getBlockReceipts");
      const mined = blockByRef(tag);
      return mined ? mined.record.txs.map((r) => formatReceipt(r, mined.block)) : null;
    },

    // ---------------------------------------------------------------- logs and filters
    eth_getLogs: (params) => {
      const [filter] = p(params, 1, 1, "eth_getLogs");
      return queryLogs(node, logFilter(filter, node));
    },
    eth_newFilter: (params) => {
      const [raw] = p(params, 1, 1, "eth_newFilter");
      const criteria = logFilter(raw, node);
      const toRaw = (raw as Record<string, unknown> | null)?.toBlock;
      // An open-ended filter keeps following the chain.
      if (toRaw === undefined || toRaw === null || toRaw === "latest" || toRaw === "pending") criteria.toBlock = 2n ** 63n;
      return filters.newFilter("logs", criteria);
    },
    eth_newBlockFilter: () => filters.newFilter("blocks"),
    eth_newPendingTransactionFilter: () => filters.newFilter("pending"),
    eth_getFilterChanges: (params) => {
      const [id] = p(params, 1, 1, "eth_getFilterChanges");
      return filters.changes(String(quantityString(id)));
    },
    eth_getFilterLogs: (params) => {
      const [id] = p(params, 1, 1, "eth_getFilterLogs");
      return filters.logs(quantityString(id));
    },
    eth_uninstallFilter: (params) => {
      const [id] = p(params, 1, 1, "eth_uninstallFilter");
      return filters.uninstall(quantityString(id));
    },

    // ---------------------------------------------------------------- evm_* and hardhat_*
    evm_snapshot: async () => q(await node.snapshot()),
    evm_revert: async (params) => {
      const [id] = p(params, 1, 1, "evm_revert");
      return node.revert(Number(quantity(id, "snapshotId")));
    },
    evm_mine: async (params) => {
      const [ts] = p(params, 0, 1, "evm_mine");
      // Hardhat takes a timestamp; some tools pass { timestamp, blocks }.
      if (ts !== null && typeof ts === "object") {
        const opts = ts as Record<string, unknown>;
        const blocks = opts.blocks === undefined ? 1n : quantity(opts.blocks, "blocks");
        if (blocks > 10_000n) throw new InvalidParamsError("evm_mine: at most 10000 blocks per call.");
        const timestamp = opts.timestamp === undefined ? undefined : uint64(opts.timestamp, "timestamp");
        for (let i = 0n; i < blocks; i++) await node.mine(i === 0n ? timestamp : undefined);
        return "0";
      }
      await node.mine(ts === undefined || ts === null ? undefined : uint64(ts, "timestamp"));
      // Hardhat's node answers "0" (a decimal string).
      return "0";
    },
    evm_increaseTime: (params) => {
      const [secs] = p(params, 1, 1, "evm_increaseTime");
      const seconds = typeof secs === "number" && Number.isSafeInteger(secs) ? BigInt(secs) : uint64(secs, "seconds");
      // Every later block timestamp must still fit the header's 64-bit field.
      if (node.peekTimestamp() + seconds > MAX_UINT64) {
        throw new InvalidParamsError(`Invalid seconds: the next block timestamp would pass ${MAX_UINT64}, the largest 64-bit timestamp.`);
      }
      // The total offset in seconds, as a decimal string (Hardhat's node).
      return node.increaseTime(seconds).toString();
    },
    evm_setNextBlockTimestamp: async (params) => {
      const [ts] = p(params, 1, 1, "evm_setNextBlockTimestamp");
      const timestamp = uint64(ts, "timestamp");
      await node.setNextBlockTimestamp(timestamp);
      // The timestamp, as a decimal string (Hardhat's node).
      return timestamp.toString();
    },
    evm_setAutomine: (params) => {
      const [on] = p(params, 1, 1, "evm_setAutomine");
      node.setAutomine(bool(on, "enabled"));
      return true;
    },
    evm_setIntervalMining: (params) => {
      const [ms] = p(params, 1, 1, "evm_setIntervalMining");
      const intervalMs = quantity(ms, "interval");
      if (intervalMs > MAX_INTERVAL_MS) throw new InvalidParamsError(`Invalid interval: at most ${MAX_INTERVAL_MS} ms.`);
      const interval = Number(intervalMs);
      if (interval === 0) node.stopIntervalMining();
      else node.startIntervalMining(interval / 1000);
      return true;
    },
    hardhat_metadata: () => ({
      clientVersion: CLIENT_VERSION,
      chainId: node.chainId,
      instanceId: bytesToHex(node.blocks[0]!.hash()),
      latestBlockNumber: Number(node.headNumber),
      latestBlockHash: bytesToHex(node.head.hash()),
    }),
    hardhat_setBalance: async (params) => {
      const [who, balance] = p(params, 2, 2, "hardhat_setBalance");
      await node.setBalance(address(who, "address"), quantity(balance, "balance"));
      return true;
    },
    hardhat_setNonce: async (params) => {
      const [who, nonce] = p(params, 2, 2, "hardhat_setNonce");
      await node.setNonce(address(who, "address"), uint64(nonce, "nonce"));
      return true;
    },
    hardhat_setCode: async (params) => {
      const [who, code] = p(params, 2, 2, "hardhat_setCode");
      await node.setCode(address(who, "address"), data(code, "code"));
      return true;
    },
    hardhat_setStorageAt: async (params) => {
      const [who, slot, value] = p(params, 3, 3, "hardhat_setStorageAt");
      const word = data(value, "value");
      if (word.length !== 66) throw new InvalidParamsError("Invalid value: expected a 32-byte word.");
      await node.setStorageAt(address(who, "address"), q(quantity(slot, "slot")) as `0x${string}`, word);
      return true;
    },
    hardhat_setCoinbase: async (params) => {
      const [who] = p(params, 1, 1, "hardhat_setCoinbase");
      await node.setCoinbase(address(who, "address"));
      return true;
    },
    hardhat_setNextBlockBaseFeePerGas: async (params) => {
      const [fee] = p(params, 1, 1, "hardhat_setNextBlockBaseFeePerGas");
      await node.setNextBlockBaseFee(quantity(fee, "baseFeePerGas"));
      return true;
    },
    hardhat_setPrevRandao: async (params) => {
      const [value] = p(params, 1, 1, "hardhat_setPrevRandao");
      const word = data(value, "prevRandao");
      if (word.length !== 66) throw new InvalidParamsError("Invalid prevRandao: expected a 32-byte word.");
      await node.setNextPrevRandao(hexToBytes(word));
      return true;
    },
    txpool_status: (params) => {
      p(params, 0, 0, "txpool_status");
      return { pending: q(node.pendingCount), queued: q(node.queuedCount) };
    },
    txpool_content: (params) => {
      p(params, 0, 0, "txpool_content");
      // Geth's layout: sender → nonce (decimal) → transaction.
      const bySender = (list: ReturnType<DevNode["txpool"]>["pending"]) => {
        const out: Record<string, Record<string, unknown>> = {};
        for (const pooled of list) (out[pooled.from] ??= {})[pooled.tx.nonce.toString()] = formatTransaction(pooled.tx, pooled, undefined);
        return out;
      };
      const { pending, queued } = node.txpool();
      return { pending: bySender(pending), queued: bySender(queued) };
    },
    hardhat_dropTransaction: async (params) => {
      const [txHash] = p(params, 1, 1, "hardhat_dropTransaction");
      return node.dropTransaction(hash(txHash, "transaction hash"));
    },
    evm_setBlockGasLimit: async (params) => {
      const [limit] = p(params, 1, 1, "evm_setBlockGasLimit");
      await node.setBlockGasLimit(uint64(limit, "gasLimit"));
      return true;
    },
    hardhat_getAutomine: () => node.automine,
    hardhat_reset: async (params) => {
      const [options] = p(params, 0, 1, "hardhat_reset");
      if (options !== undefined && options !== null && (typeof options !== "object" || (options as Record<string, unknown>).forking != null)) {
        throw new InvalidParamsError("hardhat_reset: forking is not supported; call it without parameters to go back to genesis.");
      }
      await node.reset();
      return true;
    },
    hardhat_impersonateAccount: (params) => {
      const [who] = p(params, 1, 1, "hardhat_impersonateAccount");
      node.impersonate(address(who, "address"));
      return true;
    },
    hardhat_stopImpersonatingAccount: (params) => {
      const [who] = p(params, 1, 1, "hardhat_stopImpersonatingAccount");
      return node.stopImpersonating(address(who, "address"));
    },
    hardhat_mine: async (params) => {
      const [count, intervalRaw] = p(params, 0, 2, "hardhat_mine");
      const blocks = count === undefined || count === null ? 1n : quantity(count, "blocks");
      if (blocks > 10_000n) throw new InvalidParamsError("hardhat_mine: at most 10000 blocks per call.");
      // With an interval, each block after the first is exactly `interval` seconds after its parent.
      const interval = intervalRaw === undefined || intervalRaw === null ? undefined : uint64(intervalRaw, "interval");
      if (interval === 0n) throw new InvalidParamsError("Invalid interval: at least 1 second (a block's timestamp must be after its parent's).");
      if (interval !== undefined && blocks > 1n && node.peekTimestamp() + (blocks - 1n) * interval > MAX_UINT64) {
        throw new InvalidParamsError(`Invalid interval: the last block's timestamp would pass ${MAX_UINT64}, the largest 64-bit timestamp.`);
      }
      for (let i = 0n; i < blocks; i++) {
        await node.mine(i === 0n || interval === undefined ? undefined : node.head.header.timestamp + interval);
      }
      return true;
    },

    // ---------------------------------------------------------------- aivm_*
    aivm_quote: async (params) => {
      const [req, tag] = p(params, 1, 2, "aivm_quote");
      const obj = (req ?? {}) as Record<string, unknown>;
      if (typeof obj === "object" && obj !== null && "program" in obj) return quoteProgram(obj.program);
      const call = callRequest(typeof obj === "object" && obj !== null && "call" in obj ? obj.call : obj, "call");
      const result = await node.call({ ...call, gas: call.gas }, blockRef(tag, node), { exactGas: true });
      const aivmGas = result.trace.receipts.reduce((sum, r) => sum + r.gasUsed, 0n);
      const flops = result.trace.receipts.reduce((sum, r) => sum + r.flops, 0n);
      return {
        gas: q(result.gasUsed),
        aivmGas: q(aivmGas),
        flops: q(flops),
        returnData: result.returnData,
        ...formatTrace(result.trace),
      };
    },
    aivm_getReceipts: (params) => {
      const [h] = p(params, 1, 1, "aivm_getReceipts");
      const found = node.transaction(hash(h, "transactionHash"));
      if (!found) return null;
      return { transactionHash: found.record.hash, blockNumber: q(found.block.header.number), ...formatTrace(found.record.trace) };
    },
    // A block's AIVM receipts by block hash, also for a valid block off the chain in engine mode (a validator names a mismatching receipt with them).
    aivm_getBlockAivmReceipts: (params) => {
      const [h] = p(params, 1, 1, "aivm_getBlockAivmReceipts");
      const blockHash = hash(h, "blockHash");
      const mined = node.blockByHashHex(blockHash);
      const txs = mined ? txAivmReceipts(mined) : node.engine?.aivmReceiptsOf(blockHash);
      if (txs === undefined) return null;
      return { blockHash, transactions: txs.map((t) => ({ transactionHash: t.txHash, receipts: t.receipts.map(formatOpReceipt) })) };
    },
    aivm_getAnchor: (params) => {
      const [tag] = p(params, 0, 1, "aivm_getAnchor");
      const mined = blockByRef(tag);
      if (!mined || !mined.record.anchor) return null;
      return formatAnchor(mined.record.anchor, bytesToHex(mined.block.hash()) as `0x${string}`);
    },
    aivm_getReceiptProof: (params) => {
      const [h, indexRaw] = p(params, 1, 2, "aivm_getReceiptProof");
      const found = node.transaction(hash(h, "transactionHash"));
      if (!found) return null;
      const index = indexRaw === undefined ? 0 : Number(quantity(indexRaw, "receiptIndex"));
      const receipt = found.record.trace.receipts[index];
      if (!receipt) throw new InvalidParamsError(`Transaction has ${found.record.trace.receipts.length} AIVM receipts; index ${index} is out of range.`);
      const mined = node.blockByNumber(found.block.header.number)!;
      // The anchor commits to every receipt leaf of the block: system calls first, then transactions in order.
      const systemLeaves = (mined.record.systemTraces ?? []).flatMap((t) => t.receipts.map((r) => r.leaf));
      const leaves = [...systemLeaves, ...mined.record.txs.flatMap((t) => t.trace.receipts.map((r) => r.leaf))];
      const offset = systemLeaves.length + mined.record.txs.slice(0, found.record.index).reduce((n, t) => n + t.trace.receipts.length, 0);
      const proof = receiptProof(leaves, offset + index);
      const anchorRoot = mined.record.anchor?.anchorRoot ?? null;
      return {
        transactionHash: found.record.hash,
        blockNumber: q(found.block.header.number),
        receipt: formatTrace({ traceRoot: found.record.trace.traceRoot, receipts: [receipt] }).receipts,
        leaf: proof.leaf,
        leafIndex: proof.leafIndex,
        leafCount: proof.leafCount,
        siblings: proof.siblings,
        anchorRoot,
        verified: anchorRoot !== null && proof.root === anchorRoot,
      };
    },
    aivm_getTensor: async (params) => {
      const [handleRaw, tag] = p(params, 1, 2, "aivm_getTensor");
      const bytes = hexToBytes(data(handleRaw, "handle"));
      // A 57-byte AREF handle carries the content id in its last 32 bytes; a bare id is accepted too.
      let id: Uint8Array;
      if (bytes.length === 32) id = bytes;
      else if (bytes.length === 57 && bytes[0] === 0x41 && bytes[4] === 2) id = bytes.subarray(25);
      else throw new InvalidParamsError("Invalid handle: expected a 32-byte content id or a 57-byte persistent AREF handle.");
      const blob = await node.readState(blockRef(tag, node), (sm) => getBlob(sm, id));
      return blob === undefined ? null : { id: bytesToHex(id), size: blob.length, data: bytesToHex(blob) };
    },
    aivm_getVrf: async (params) => {
      const [tag] = p(params, 1, 1, "aivm_getVrf");
      const mined = blockByRef(tag);
      // Genesis has no VRF: the first proof is block 1's, over the genesis hash.
      if (!mined || mined.block.header.number === 0n) return null;
      const n = mined.block.header.number;
      const stored = await node.readState(n, async (sm) => ({ vrf: await readBlockVrf(sm, n), publicKey: await readVrfPublicKey(sm) }));
      if (!stored.vrf) return null;
      return {
        blockNumber: q(n),
        alpha: bytesToHex(vrfAlpha(mined.block.header.parentHash, n)),
        pi: bytesToHex(stored.vrf.pi),
        beta: bytesToHex(stored.vrf.beta),
        publicKey: bytesToHex(stored.publicKey),
      };
    },
    aivm_congestion: async () => {
      const next = BigInt(await node.getStorageAt(CONGESTION_ADDRESS, "0x0"));
      const anchor = node.blockByNumber(node.headNumber)?.record.anchor ?? null;
      return {
        blockNumber: q(node.headNumber),
        multiplier: anchor ? q(anchor.multiplier) : null,
        nextMultiplier: next === 0n ? null : q(next),
        lastBlockFlops: anchor ? q(anchor.flops) : "0x0",
      };
    },
  };
  // anvil's names for the same dev methods (foundry tools and viem's test client in "anvil" mode).
  // Only methods anvil itself has with Hardhat's parameters; results are Hardhat's (true).
  for (const name of ANVIL_ALIASES) table[`anvil_${name}`] = table[`hardhat_${name}`]!;
  Object.assign(table, createDebugMethods(node));
  return table;

  async function quoteProgram(program: unknown): Promise<unknown> {
    const bytes = hexToBytes(data(program, "program"));
    let mod: Record<string, unknown>;
    try {
      mod = (await import(new URL("../gas/index.ts", import.meta.url).href)) as Record<string, unknown>;
    } catch {
      throw new RpcError(SERVER_ERROR, "Program quotes are not available in this build (src/gas is missing).");
    }
    const quote = mod.quoteProgramBytes ?? mod.quoteProgram;
    if (typeof quote !== "function") throw new RpcError(SERVER_ERROR, "Program quotes are not available in this build.");
    const congestion = BigInt(await node.getStorageAt(CONGESTION_ADDRESS, "0x0"));
    const result = (await (quote as (b: Uint8Array, m?: bigint) => unknown)(bytes, congestion === 0n ? undefined : congestion)) as unknown;
    return typeof result === "bigint" ? { gas: q(result) } : JSON.parse(JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? q(v) : v)));
  }
}

function quantityString(id: unknown): string {
  return q(quantity(id, "filterId"));
}

/** The block the pool would make next: its transactions, gas, bloom and roots from running them on the head state (no hash: it is not sealed). */
async function formatPendingBlock(node: DevNode, fullTransactions: boolean): Promise<Record<string, unknown>> {
  const head = node.blockByNumber(node.headNumber)!;
  const pending = await node.pendingBlock();
  const base = formatBlock(head, false);
  return {
    ...base,
    number: q(node.headNumber + 1n),
    hash: null,
    nonce: null,
    parentHash: bytesToHex(head.block.hash()),
    miner: node.coinbase,
    baseFeePerGas: q(node.nextBaseFee()),
    gasLimit: q(node.blockGasLimit),
    gasUsed: q(pending.gasUsed),
    logsBloom: pending.logsBloom,
    transactionsRoot: pending.transactionsRoot,
    receiptsRoot: pending.receiptsRoot,
    transactions: pending.transactions.map((p) => (fullTransactions ? formatTransaction(p.tx, p, undefined) : p.hash)),
    timestamp: q(node.peekTimestamp()),
    aivmAnchorRoot: null,
  };
}

/** Dispatches one call: unknown method → -32601; everything else through the table. */
export async function dispatch(table: MethodTable, method: string, params: unknown[]): Promise<unknown> {
  const handler = Object.hasOwn(table, method) ? table[method] : undefined;
  if (!handler) throw new MethodNotFoundError(method);
  return handler(params);
}
