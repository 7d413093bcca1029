// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Fix the Vault below so that a contract cannot withdraw more than it deposited by calling
// back into withdraw(). Keep its interface: deposit(), withdraw(uint256), balances(address).
//
// The grader compiles your file together with the exam (VaultExam, which imports it as
// "./Submission.sol"), deploys VaultExam, which creates your Vault, uses it as an honest customer
// and lets a Thief contract try to re-enter it. Keep the contract's name: Vault.

contract Vault {
    mapping(address => uint256) public balances;

    event Deposit(address indexed customer, uint256 amount);
    event Withdrawal(address indexed customer, uint256 amount);

    function deposit() external payable {
        require(msg.value > 0, "deposit some ether");
        balances[msg.sender] += msg.value;
        emit Deposit(msg.sender, msg.value);
    }

    function withdraw(uint256 amount) external {
        uint256 balance = balances[msg.sender];
        require(balance >= amount, "insufficient balance");

        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "transfer failed");

        balances[msg.sender] = balance - amount;
        emit Withdrawal(msg.sender, amount);
    }
}
