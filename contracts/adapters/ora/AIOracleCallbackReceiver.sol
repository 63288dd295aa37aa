// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIOracle} from "./IAIOracle.sol";

/// @title AIOracleCallbackReceiver
/// @notice Same shape as ORA's base contract: bound to one IAIOracle, which alone may call
///         `aiOracleCallback`. Point it at an AivmAIOracle and the answers come from AIVM.
abstract contract AIOracleCallbackReceiver {
    /// @notice The oracle this receiver trusts.
    IAIOracle public immutable aiOracle;

    /// @notice The callback did not come from `aiOracle`.
    error UnauthorizedCallbackSource(IAIOracle expected, IAIOracle found);

    /// @param _aiOracle The oracle (an AivmAIOracle on AIVM).
    constructor(IAIOracle _aiOracle) {
        aiOracle = _aiOracle;
    }

    /// @notice Reverts unless the caller is `aiOracle`.
    modifier onlyAIOracleCallback() {
        IAIOracle foundRelayAddress = IAIOracle(msg.sender);
        if (address(foundRelayAddress) != address(aiOracle)) revert UnauthorizedCallbackSource(aiOracle, foundRelayAddress);
        _;
    }

    /// @notice Receives a result.
    /// @param requestId The request.
    /// @param output The model output.
    /// @param callbackData The data given to requestCallback.
    function aiOracleCallback(uint256 requestId, bytes calldata output, bytes calldata callbackData) external virtual;
}
