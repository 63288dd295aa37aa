// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "aivm/AIVM.sol";
import {IAIVMErrors} from "aivm/interfaces/IAIVMErrors.sol";

/// @title FashionClassifier
/// @notice The Fashion-MNIST MLP from the persistent tensor store: TCUSTOM runs the stored program
///         (weights as stored shards) on a 28×28 image, the contract takes the argmax of the logits.
/// @dev Inherits IAIVMErrors so clients decode precompile reverts from this ABI.
contract FashionClassifier is IAIVMErrors {
    /// @notice The stored program (`programId` of the model package; TSTORE target 2 assigns it).
    bytes32 public immutable programId;

    /// @param programId_ The model package's program id, stored before use (aivm model deploy, or
    ///        AivmTest.aivmSeedModel under forge).
    constructor(bytes32 programId_) {
        programId = programId_;
    }

    /// @notice The class of an image and the logits it came from.
    /// @param image The model's input tensor: int8 [1, 784], pixel / 255 quantized with the package's input scale.
    /// @return label Index of the largest logit (0..9).
    /// @return logits The int16 [1, 10] logits tensor TCUSTOM returned.
    /// @return logitsCommit Its Tensor Commit.
    function classify(bytes calldata image) external view returns (uint256 label, bytes memory logits, bytes32 logitsCommit) {
        bytes[] memory inputs = new bytes[](1);
        inputs[0] = image;
        logits = AIVM.custom(programId, inputs, 0)[0];
        label = AIVM.argmax(logits);
        logitsCommit = AIVM.commitOf(logits);
    }
}
