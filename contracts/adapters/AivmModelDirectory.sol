// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AIVM} from "../AIVM.sol";
import {IAIVMErrors} from "../interfaces/IAIVMErrors.sol";
import {IAivmModel} from "./IAivmModel.sol";

/// @title AivmModelDirectory
/// @notice Names → AIVM models, and the one place the oracle adapters run a model. What an oracle
///         network calls a container id (Infernet), a model id (ORA) or a DON id (Chainlink
///         Functions) is a key here. Running a model returns its output plus a proof: the
///         transaction's AIVM trace root, which the block anchor commits to (docs/migrating.md).
contract AivmModelDirectory is IAIVMErrors {
    /// @notice No model is registered under `key`.
    error UnknownModel(bytes32 key);
    /// @notice Only the owner may change the directory.
    error NotOwner(address caller);

    /// @notice Emitted when a key is (re)bound.
    event ModelSet(bytes32 indexed key, address model);

    address public owner;
    mapping(bytes32 => IAivmModel) public models;

    constructor() {
        owner = msg.sender;
    }

    /// @notice Binds `key` to `model` (zero address unbinds).
    function setModel(bytes32 key, IAivmModel model) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        models[key] = model;
        emit ModelSet(key, address(model));
    }

    /// @notice Runs the model bound to `key` on `input`, in this transaction.
    /// @return output The model's output.
    /// @return proof abi.encode(bytes32 traceRoot, uint256 receiptCount) of the transaction so far.
    /// @return model The model that ran.
    function run(bytes32 key, bytes calldata input)
        external
        returns (bytes memory output, bytes memory proof, address model)
    {
        IAivmModel m = models[key];
        if (address(m) == address(0)) revert UnknownModel(key);
        output = m.infer(input);
        (bytes32 root, uint256 count) = AIVM.traceRoot();
        return (output, abi.encode(root, count), address(m));
    }
}
