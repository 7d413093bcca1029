// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title CampusVault: a small ether bank with a classic reentrancy bug
/// @notice The level is deployed holding 1 ETH that belongs to other customers. Anyone can
/// deposit ether and withdraw their own balance. Your goal: leave the vault with nothing.
contract Vault {
    mapping(address => uint256) public balances;

    event Deposit(address indexed customer, uint256 amount);
    event Withdrawal(address indexed customer, uint256 amount);

    /// @dev The ether sent with the deployment stands for other customers' deposits.
    constructor() payable {}

    function deposit() external payable {
        require(msg.value > 0, "deposit some ether");
        balances[msg.sender] += msg.value;
        emit Deposit(msg.sender, msg.value);
    }

    /// @notice Withdraw everything you deposited.
    function withdraw() external {
        uint256 amount = balances[msg.sender];
        require(amount > 0, "nothing to withdraw");

        // Interaction first: pay the customer...
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");

        // ...effects afterwards: too late if the customer was a contract that called back in.
        balances[msg.sender] = 0;
        emit Withdrawal(msg.sender, amount);
    }

    /// @notice The ether the vault holds for all its customers.
    function totalHeld() external view returns (uint256) {
        return address(this).balance;
    }
}
