// The genesis recipe for the registry and scheduler predeploys now lives in production code
// (src/chain/predeploys.ts, wired into every AIVM genesis); re-exported for the contract tests.
export {
  AGENT_SCHEDULER_ADDRESS,
  MODEL_REGISTRY_ADDRESS,
  registryGenesisStorage,
  registrySchedulerGenesis,
  schedulerGenesisStorage,
  type RegistryGenesis,
  type SchedulerGenesis,
} from "../../src/chain/predeploys.ts";
