// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title CampusToken: an ERC-20 written by hand
/// @notice Fill in every TODO. Keep the names, parameters and return types exactly as they
///         are: wallets, exchanges and the grader find your functions by their signatures.
///         Do not import OpenZeppelin here: the point is to write the rules yourself.
contract CampusToken {
    // --- Metadata (ERC-20 optional extension) -------------------------------------------
    // TODO: declare `name`, `symbol` and `decimals` so that name() returns "Busan Campus Token",
    //       symbol() returns "BCT" and decimals() returns 18 (a public constant makes the getter).

    // --- State -----------------------------------------------------------------------------
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    // allowance[owner][spender]: how much `spender` may still move out of `owner`'s balance
    mapping(address => mapping(address => uint256)) public allowance;

    // --- Events (ERC-20 requires both) --------------------------------------------------
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @param initialSupply the whole supply in base units (1 BCT = 10**18 base units),
    ///        created for the deployer.
    constructor(uint256 initialSupply) {
        // TODO: give the deployer (msg.sender) the whole supply, set totalSupply,
        //       and emit Transfer from address(0) (that is how a mint is announced).
    }

    /// Move `value` base units from the caller to `to`.
    function transfer(address to, uint256 value) external returns (bool) {
        // TODO: revert if the caller's balance is too small (or `to` is address(0)),
        //       move the tokens, emit Transfer, return true.
    }

    /// Allow `spender` to move up to `value` of the caller's tokens (replacing any earlier
    /// allowance, not adding to it).
    function approve(address spender, uint256 value) external returns (bool) {
        // TODO: set the allowance, emit Approval, return true.
    }

    /// Move `value` from `from` to `to` on behalf of `from`, spending the caller's allowance.
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        // TODO: revert if allowance[from][msg.sender] < value or from's balance is too small,
        //       lower the allowance, move the tokens, emit Transfer, return true.
    }
}
