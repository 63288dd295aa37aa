// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AivmDeferredFulfiller} from "../AivmDeferredFulfiller.sol";
import {AivmModelDirectory} from "../AivmModelDirectory.sol";
import {IAIOracle} from "./IAIOracle.sol";
import {AIOracleCallbackReceiver} from "./AIOracleCallbackReceiver.sol";

/// @title AivmAIOracle
/// @notice ORA's IAIOracle answered by AIVM. Model id `m` runs the directory's model under key
///         bytes32(m). Like ORA's OAO, results arrive in a later transaction: a keeper (anyone)
///         calls `fulfill`/`fulfillPending`, or the AgentScheduler does on a tick. The inference
///         itself is an AIVM precompile call, deterministic and committed in the block anchor.
contract AivmAIOracle is IAIOracle, AivmDeferredFulfiller {
    struct Request {
        address account;
        address callbackContract;
        uint64 gasLimit;
        uint256 modelId;
        bytes input;
        bytes callbackData;
        bool finalized;
    }

    /// @notice The model failed (e.g. a ShapeMismatch on the input); `reason` is its revert data.
    event AICallbackError(uint256 indexed requestId, bytes reason);
    /// @notice The consumer's callback reverted or ran out of gas; the request still counts as answered.
    event CallbackFailed(uint256 indexed requestId, bytes reason);

    AivmModelDirectory public immutable directory;
    uint256 public nextRequestId;
    mapping(uint256 => Request) private requests;

    /// @param directory_ Where model ids are resolved.
    constructor(AivmModelDirectory directory_) {
        directory = directory_;
    }

    /// @inheritdoc IAIOracle
    function requestCallback(
        uint256 modelId,
        bytes memory input,
        address callbackContract,
        uint64 gasLimit,
        bytes memory callbackData
    ) external payable returns (uint256 requestId) {
        requestId = nextRequestId++;
        requests[requestId] = Request(msg.sender, callbackContract, gasLimit, modelId, input, callbackData, false);
        _enqueue(requestId);
        emit AICallbackRequest(msg.sender, requestId, modelId, input, callbackContract, gasLimit, callbackData);
    }

    /// @inheritdoc IAIOracle
    /// @dev Zero: the inference is paid as gas by whoever fulfils (or through the scheduler's tick fee).
    function estimateFee(uint256, uint256) external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc IAIOracle
    function isFinalized(uint256 requestId) external view returns (bool) {
        return requests[requestId].finalized;
    }

    /// @notice A request's input and routing, for keepers and UIs.
    function getRequest(uint256 requestId) external view returns (Request memory) {
        return requests[requestId];
    }

    function _fulfill(uint256 id) internal override {
        Request storage r = requests[id];
        r.finalized = true;
        bytes memory output;
        try directory.run(bytes32(r.modelId), r.input) returns (bytes memory out, bytes memory, address) {
            output = out;
        } catch (bytes memory reason) {
            emit AICallbackError(id, reason);
            return;
        }
        _requireCallbackGas(r.gasLimit);
        (bool ok, bytes memory ret) = r.callbackContract.call{gas: r.gasLimit}(
            abi.encodeCall(AIOracleCallbackReceiver.aiOracleCallback, (id, output, r.callbackData))
        );
        if (!ok) emit CallbackFailed(id, ret);
        emit AICallbackResult(r.account, id, msg.sender, output);
    }
}
