// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// The exam for "Fix the vault": compiled with the student's source as ./Submission.sol.
import {Vault} from "./Submission.sol";

/// @notice A customer contract that tries to withdraw its deposit more than once by calling
/// withdraw() again from its receive() function while the vault is still paying it.
contract Thief {
    Vault private immutable vault;
    uint256 private stake;
    uint256 public reentries;

    constructor(Vault target) {
        vault = target;
    }

    function steal() external payable {
        stake = msg.value;
        vault.deposit{value: msg.value}();
        vault.withdraw(msg.value);
    }

    receive() external payable {
        if (msg.sender == address(vault) && address(vault).balance >= stake) {
            try vault.withdraw(stake) {
                reentries += 1;
            } catch {}
        }
    }
}

/// @notice What the grader deploys: your Vault, used by an honest customer (this contract) and
/// attacked by a Thief.
contract VaultExam {
    Vault public immutable vault;
    Thief public immutable thief;

    event CustomerDeposited(uint256 amount);
    event CustomerWithdrew(uint256 amount);
    event AttackRepelled(uint256 vaultBalance);
    event AttackSucceeded(uint256 stolen);

    constructor() {
        vault = new Vault();
        thief = new Thief(vault);
    }

    /// @notice Deposit the ether sent as an honest customer.
    function customerDeposit() external payable {
        vault.deposit{value: msg.value}();
        emit CustomerDeposited(msg.value);
    }

    /// @notice Withdraw as the honest customer; reverts unless exactly `amount` arrives.
    function customerWithdraw(uint256 amount) external {
        uint256 before = address(this).balance;
        vault.withdraw(amount);
        require(address(this).balance == before + amount, "the vault did not pay what was withdrawn");
        emit CustomerWithdrew(amount);
    }

    function customerBalance() external view returns (uint256) {
        return vault.balances(address(this));
    }

    /// @notice The Thief deposits the ether sent and tries to take out more than that.
    function attack() external payable {
        uint256 before = address(vault).balance;
        try thief.steal{value: msg.value}() {} catch {}
        uint256 afterwards = address(vault).balance;
        if (afterwards >= before) {
            emit AttackRepelled(afterwards);
        } else {
            emit AttackSucceeded(before - afterwards);
        }
    }

    function vaultBalance() external view returns (uint256) {
        return address(vault).balance;
    }

    receive() external payable {}
}