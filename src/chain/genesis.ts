// Genesis for an AIVM chain: the system contracts at fixed addresses inside 0x…A109–0x…A1FF, with
// runtime bytecode compiled from contracts/system by npm solc, and their initial storage; plus the
// ModelRegistry and AgentScheduler predeploys (src/chain/predeploys.ts).
import { setLengthLeft, bigIntToBytes, bytesToHex } from "@ethereumjs/util";
import type { GenesisAccount } from "./types.ts";
import { getContract } from "./solc.ts";
import { AGENT_NAMESPACES_ADDRESS, BLOCK_ANCHOR_ADDRESS, BLOCK_RANDOMNESS_ADDRESS, CONGESTION_ADDRESS } from "../../precompiles/addresses.ts";
import { MULTIPLIER_ONE, initialMultiplier } from "../../precompiles/gas.ts";
import { DEV_REGISTRY_GENESIS, DEV_SCHEDULER_GENESIS, registrySchedulerGenesis } from "./predeploys.ts";
import { blockRandomnessGenesis, devVrfSecretKey, vrfPublicKeyOf } from "./block-randomness.ts";

// The system contracts' addresses are declared once, in precompiles/addresses.ts.
export { AGENT_NAMESPACES_ADDRESS, BLOCK_ANCHOR_ADDRESS, BLOCK_RANDOMNESS_ADDRESS, CONGESTION_ADDRESS };

const SYSTEM_SOURCES = ["system/BlockAnchor.sol", "system/Congestion.sol", "system/AgentNamespaces.sol", "system/BlockRandomness.sol"] as const;

const slot = (n: number) => bytesToHex(setLengthLeft(Uint8Array.of(n), 32)) as `0x${string}`;
const value = (v: bigint) => bytesToHex(setLengthLeft(bigIntToBytes(v), 32)) as `0x${string}`;

/**
 * The system accounts every AIVM genesis contains. `vrfPublicKey` is the block producer's VRF key
 * (BlockRandomness at 0x…A113); by default the dev key of the default mnemonic.
 */
export function aivmGenesisAccounts(vrfPublicKey: Uint8Array = vrfPublicKeyOf(devVrfSecretKey())): GenesisAccount[] {
  const code = (name: string) => getContract(name, undefined, SYSTEM_SOURCES).deployedBytecode;
  return [
    { address: BLOCK_ANCHOR_ADDRESS, code: code("BlockAnchor") },
    {
      address: CONGESTION_ADDRESS,
      code: code("Congestion"),
      storage: { [slot(0)]: value(initialMultiplier()), [slot(1)]: value(MULTIPLIER_ONE) },
    },
    { address: AGENT_NAMESPACES_ADDRESS, code: code("AgentNamespaces") },
    blockRandomnessGenesis(code("BlockRandomness"), vrfPublicKey),
    // ModelRegistry (0x…A120) and AgentScheduler (0x…A121), initialised with the dev config.
    ...registrySchedulerGenesis(DEV_REGISTRY_GENESIS, { ...DEV_SCHEDULER_GENESIS, congestion: CONGESTION_ADDRESS }),
  ];
}

