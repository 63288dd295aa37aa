// Adds the `aivm` network to the user's config unless they defined one themselves.
import type { ConfigHooks } from "hardhat/types/hooks";
import { AIVM_NETWORK, AIVM_NETWORK_NAME } from "../in-process.ts";

export default async (): Promise<Partial<ConfigHooks>> => ({
  async extendUserConfig(config, next) {
    const extended = await next(config);
    if (extended.networks?.[AIVM_NETWORK_NAME] !== undefined) return extended;
    return { ...extended, networks: { ...extended.networks, [AIVM_NETWORK_NAME]: { ...AIVM_NETWORK } } };
  },
});
