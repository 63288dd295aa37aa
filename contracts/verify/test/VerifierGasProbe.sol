// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title VerifierGasProbe
/// @notice Test helper: the gas a contract spends calling a verifier (gasleft() around a STATICCALL),
///         which is what a consumer contract pays for a check, without the transaction's own costs.
contract VerifierGasProbe {
    /// @notice STATICCALLs `target` with `data`; returns whether it succeeded, the gas it took and its return data.
    function measure(address target, bytes calldata data) external view returns (bool ok, uint256 gasUsed, bytes memory ret) {
        uint256 g = gasleft();
        (ok, ret) = target.staticcall(data);
        gasUsed = g - gasleft();
    }
}
