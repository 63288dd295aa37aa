// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAIOracle} from "../../adapters/ora/IAIOracle.sol";
import {AIOracleCallbackReceiver} from "../../adapters/ora/AIOracleCallbackReceiver.sol";

/// @title OraPrompt
/// @notice Written the ORA way (modelled on ORA's Prompt example): it records each request after
///         `requestCallback` returns and the callback requires that record. Deployed with an
///         AivmAIOracle as `aiOracle`, the answers come from AIVM.
contract OraPrompt is AIOracleCallbackReceiver {
    /// @notice The callback named a request this contract never made.
    error UnknownRequest(uint256 requestId);

    event PromptRequest(uint256 indexed requestId, address indexed sender, uint256 modelId, bytes input);
    event PromptsUpdated(uint256 indexed requestId, uint256 modelId, bytes input, bytes output, bytes callbackData);

    struct AIOracleRequest {
        address sender;
        uint256 modelId;
        bytes input;
        bytes output;
    }

    uint64 public constant CALLBACK_GAS_LIMIT = 500_000;

    mapping(uint256 => AIOracleRequest) public requests;
    /// @notice modelId → input → output, as ORA's Prompt keeps it.
    mapping(uint256 => mapping(bytes => bytes)) public prompts;

    constructor(IAIOracle _aiOracle) AIOracleCallbackReceiver(_aiOracle) {}

    /// @notice Asks model `modelId` about `input`.
    function calculateAIResult(uint256 modelId, bytes calldata input) external payable returns (uint256 requestId) {
        requestId = aiOracle.requestCallback{value: msg.value}(modelId, input, address(this), CALLBACK_GAS_LIMIT, "");
        AIOracleRequest storage request = requests[requestId];
        request.input = input;
        request.sender = msg.sender;
        request.modelId = modelId;
        emit PromptRequest(requestId, msg.sender, modelId, input);
    }

    /// @inheritdoc AIOracleCallbackReceiver
    function aiOracleCallback(uint256 requestId, bytes calldata output, bytes calldata callbackData)
        external
        override
        onlyAIOracleCallback
    {
        AIOracleRequest storage request = requests[requestId];
        if (request.sender == address(0)) revert UnknownRequest(requestId);
        request.output = output;
        prompts[request.modelId][request.input] = output;
        emit PromptsUpdated(requestId, request.modelId, request.input, output, callbackData);
    }

    /// @notice The fee the oracle wants for a request.
    function estimateFee(uint256 modelId) external view returns (uint256) {
        return aiOracle.estimateFee(modelId, CALLBACK_GAS_LIMIT);
    }
}
