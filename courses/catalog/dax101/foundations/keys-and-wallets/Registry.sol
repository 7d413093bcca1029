// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Registry: the level for "Register your address"
/// @notice Any account may register itself once, under a name of 1 to 32 bytes.
///         The registry remembers who registered (msg.sender), so the only way to
///         register an address is to send a transaction signed by its private key.
contract Registry {
    mapping(address => bool) public registered;
    mapping(address => string) private _names;
    address[] private _registrants;

    event Registered(address indexed account, string name);

    /// Register the sending account under `name`.
    function register(string calldata name) external {
        require(!registered[msg.sender], "Registry: this address is registered already");
        uint256 length = bytes(name).length;
        require(length > 0 && length <= 32, "Registry: the name must be 1 to 32 bytes long");
        registered[msg.sender] = true;
        _names[msg.sender] = name;
        _registrants.push(msg.sender);
        emit Registered(msg.sender, name);
    }

    /// The name `account` registered with ("" if it has not registered).
    function nameOf(address account) external view returns (string memory) {
        return _names[account];
    }

    /// How many addresses have registered.
    function registrantCount() external view returns (uint256) {
        return _registrants.length;
    }

    /// The `index`-th address to register (0 is the first).
    function registrantAt(uint256 index) external view returns (address) {
        return _registrants[index];
    }
}
