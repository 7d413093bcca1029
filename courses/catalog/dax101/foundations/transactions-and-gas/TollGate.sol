// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title TollGate: the level for "Pay the toll"
/// @notice The gate opens for the first account that calls pay() with exactly TOLL wei
///         in a transaction that tips the block's producer at least MIN_TIP per unit of gas.
///         Under EIP-1559 the price a transaction pays per gas (tx.gasprice) is the block's
///         base fee plus the tip, so the tip is tx.gasprice - block.basefee.
contract TollGate {
    /// 0.0125 ETH, in wei.
    uint256 public constant TOLL = 12_500_000_000_000_000;
    /// 2 gwei per unit of gas, in wei.
    uint256 public constant MIN_TIP = 2_000_000_000;

    bool public opened;
    address public passenger;
    uint256 public tipPaid;

    event GateOpened(address indexed passenger, uint256 value, uint256 tipPerGas);

    function pay() external payable {
        require(!opened, "TollGate: the gate is open already");
        require(msg.value == TOLL, "TollGate: send exactly TOLL wei (0.0125 ETH)");
        require(tx.gasprice >= block.basefee + MIN_TIP, "TollGate: tip at least 2 gwei per gas");
        opened = true;
        passenger = msg.sender;
        tipPaid = tx.gasprice - block.basefee;
        emit GateOpened(msg.sender, msg.value, tipPaid);
    }
}
