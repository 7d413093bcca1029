// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Reference solution for dax101 / fix-the-vault (testing only; never ship it in the course):
// checks-effects-interactions (the balance is reduced before the ether is sent) plus
// OpenZeppelin's ReentrancyGuard as a second line of defence. The exam below is the starter's,
// unchanged.

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

contract Vault is ReentrancyGuard {
    mapping(address => uint256) public balances;

    event Deposit(address indexed customer, uint256 amount);
    event Withdrawal(address indexed customer, uint256 amount);

    function deposit() external payable {
        require(msg.value > 0, "deposit some ether");
        balances[msg.sender] += msg.value;
        emit Deposit(msg.sender, msg.value);
    }

    function withdraw(uint256 amount) external nonReentrant {
        // Checks
        require(balances[msg.sender] >= amount, "insufficient balance");
        // Effects
        balances[msg.sender] -= amount;
        emit Withdrawal(msg.sender, amount);
        // Interactions
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");
    }
}
