// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import "@openzeppelin/contracts/access/Ownable.sol";

/// @title One of the exchange's assets as a token on a student's chain (the deposit and
/// withdrawal bridge). The exchange's hot wallet deploys and owns it: at deployment it mints the
/// student a starting balance to deposit and itself a float to pay withdrawals from; only it may
/// mint more. Its decimals are the asset's precision on the exchange, so every on-chain amount is
/// one the exchange's ledger can hold.
contract CampusAsset is ERC20, Ownable {
    uint8 private immutable _decimals;

    constructor(
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        address student,
        uint256 studentAmount,
        uint256 floatAmount
    ) ERC20(name_, symbol_) Ownable(msg.sender) {
        _decimals = decimals_;
        if (floatAmount > 0) {
            _mint(msg.sender, floatAmount);
        }
        if (studentAmount > 0) {
            _mint(student, studentAmount);
        }
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
