// AttestationRegistry on a node through viem (test/verify/attestation-registry.test.ts and
// committee.test.ts): compile and deploy it, make blocks with AIVM receipts, sign as a verifier.
import { createPublicClient, createWalletClient, defineChain, encodeAbiParameters, http, bytesToHex, type Abi, type Account, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getContract } from "../../src/chain/solc.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { DEMO_INPUT, DEMO_WEIGHTS } from "../../src/cli/demo.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { deriveDevAccounts } from "../../src/chain/accounts.ts";
import { ATTESTATION_REGISTRY_ABI } from "../../src/rpc/verify/committee.ts";

export const registryContract = () => getContract("AttestationRegistry", undefined, ["verify/AttestationRegistry.sol"]);
export const consumerContract = () => getContract("AttestedResultConsumer", undefined, ["verify/AttestedResultConsumer.sol"]);

/** The dev accounts' keys (the default mnemonic), as viem accounts. */
export const devKeys = (): Hex[] => deriveDevAccounts().map((a) => a.privateKey);

export function chainClients(url: string, key: Hex, chainId = 31337) {
  const chain = defineChain({ id: chainId, name: "aivm", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
  const account: Account = privateKeyToAccount(key);
  return {
    account,
    publicClient: createPublicClient({ chain, transport: http(url), pollingInterval: 50 }),
    wallet: createWalletClient({ account, chain, transport: http(url), pollingInterval: 50 }),
  };
}

export interface RegistryParams {
  minBond: bigint;
  exitDelay: bigint;
  minThreshold: bigint;
}

export async function deployRegistry(url: string, key: Hex, params: RegistryParams): Promise<Address> {
  const { wallet, publicClient } = chainClients(url, key);
  const c = registryContract();
  const hash = await wallet.deployContract({ abi: c.abi as Abi, bytecode: c.bytecode, args: [params.minBond, params.exitDelay, params.minThreshold] });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  return receipt.contractAddress!;
}

/** A TMATMUL call straight to the precompile (the demo's 1×4 · 4×3 int8 matmul): one AIVM receipt. */
export const tmatmulCalldata = (): Hex => encodeAbiParameters(TMATMUL_INPUT, [[bytesToHex(encodeTensor(DEMO_INPUT)), bytesToHex(encodeTensor(DEMO_WEIGHTS))], [], [], 0]);

/** Sends a TMATMUL transaction from `key`; its block, hash and BlockAnchor root. */
export async function sendTmatmul(url: string, key: Hex): Promise<{ blockNumber: bigint; blockHash: Hex; anchorRoot: Hex; txHash: Hex }> {
  const { wallet, publicClient } = chainClients(url, key);
  const txHash = await wallet.sendTransaction({ to: PRECOMPILE_ADDRESSES.TMATMUL as Address, data: tmatmulCalldata() });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
  const anchor = (await publicClient.request({ method: "aivm_getAnchor" as never, params: [`0x${receipt.blockNumber.toString(16)}`] as never })) as { anchorRoot: Hex; receiptCount: number };
  if (anchor.receiptCount === 0) throw new Error(`block ${receipt.blockNumber} has no AIVM receipts`);
  return { blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, anchorRoot: anchor.anchorRoot, txHash };
}

export const registryAt = (address: Address) => ({ address, abi: ATTESTATION_REGISTRY_ABI }) as const;
