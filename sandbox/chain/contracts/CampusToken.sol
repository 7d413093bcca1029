// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import "@openzeppelin/contracts/access/Ownable.sol";

/// @title A course token: the ERC-20 students meet first, with a capped, owner-only mint and a
/// faucet so a class can hand out tokens for exercises.
contract CampusToken is ERC20, Ownable {
    uint256 public immutable cap;
    uint256 public faucetAmount;
    mapping(address => uint256) public lastDrip;
    uint256 public constant DRIP_INTERVAL = 1 hours;

    event FaucetChanged(uint256 amount);
    event Dripped(address indexed to, uint256 amount);

    error CapExceeded(uint256 requested, uint256 available);
    error TooSoon(uint256 nextDripAt);

    constructor(string memory name_, string memory symbol_, uint256 cap_, uint256 faucet_)
        ERC20(name_, symbol_)
        Ownable(msg.sender)
    {
        require(cap_ > 0, "cap is zero");
        cap = cap_;
        faucetAmount = faucet_;
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mintWithinCap(to, amount);
    }

    function setFaucet(uint256 amount) external onlyOwner {
        faucetAmount = amount;
        emit FaucetChanged(amount);
    }

    function drip() external {
        uint256 next = lastDrip[msg.sender] + DRIP_INTERVAL;
        if (lastDrip[msg.sender] != 0 && block.timestamp < next) {
            revert TooSoon(next);
        }
        lastDrip[msg.sender] = block.timestamp;
        _mintWithinCap(msg.sender, faucetAmount);
        emit Dripped(msg.sender, faucetAmount);
    }

    function remaining() public view returns (uint256) {
        return cap - totalSupply();
    }

    function _mintWithinCap(address to, uint256 amount) internal {
        if (amount > remaining()) {
            revert CapExceeded(amount, remaining());
        }
        _mint(to, amount);
    }
}
