// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Haeundae Exchange: a proof of liabilities
/// @notice The exchange publishes what it owes each of its eight customers as the leaves of a
/// Merkle tree and commits to the tree's root. You are one of the customers (the account that
/// opened this level). Prove that your balance is included by calling claimInclusion with your
/// amount and the Merkle proof of your leaf.
///
/// Leaf:   keccak256(abi.encodePacked(customer, amount))        (20 + 32 bytes)
/// Parent: keccak256 of the two children concatenated, the smaller one first (sorted pairs, as
///         OpenZeppelin's MerkleProof does), so a proof needs no left/right flags.
contract ReserveProof {
    uint256 private constant CUSTOMERS = 8;
    uint256 private constant PLAYER_INDEX = 5;

    bytes32 public immutable root;
    uint256 public immutable totalLiabilities;

    address[] public customers;
    uint256[] public amounts;
    bytes32[] public leaves;
    mapping(address => bool) public verified;

    event InclusionVerified(address indexed customer, uint256 amount);

    error NotIncluded(bytes32 computedRoot);

    /// @dev The ether sent with the deployment is the exchange's reserve.
    constructor() payable {
        uint256[CUSTOMERS] memory owed = [
            uint256(3 ether),
            0.75 ether,
            2.2 ether,
            5 ether,
            0.3 ether,
            1.5 ether, // PLAYER_INDEX: the account that deployed the level
            1.25 ether,
            4 ether
        ];
        bytes32[] memory layer = new bytes32[](CUSTOMERS);
        uint256 total;
        for (uint256 i = 0; i < CUSTOMERS; i++) {
            address customer = i == PLAYER_INDEX
                ? msg.sender
                : address(uint160(uint256(keccak256(abi.encodePacked("haeundae customer", i)))));
            bytes32 leaf = leafOf(customer, owed[i]);
            customers.push(customer);
            amounts.push(owed[i]);
            leaves.push(leaf);
            layer[i] = leaf;
            total += owed[i];
        }
        for (uint256 width = CUSTOMERS; width > 1; width /= 2) {
            for (uint256 i = 0; i < width / 2; i++) {
                layer[i] = hashPair(layer[2 * i], layer[2 * i + 1]);
            }
        }
        root = layer[0];
        totalLiabilities = total;
    }

    function leafOf(address customer, uint256 amount) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(customer, amount));
    }

    function hashPair(bytes32 a, bytes32 b) public pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    function customerCount() external view returns (uint256) {
        return customers.length;
    }

    /// @notice Prove that the exchange's tree includes (msg.sender, amount).
    function claimInclusion(uint256 amount, bytes32[] calldata proof) external {
        bytes32 node = leafOf(msg.sender, amount);
        for (uint256 i = 0; i < proof.length; i++) {
            node = hashPair(node, proof[i]);
        }
        if (node != root) revert NotIncluded(node);
        verified[msg.sender] = true;
        emit InclusionVerified(msg.sender, amount);
    }

    /// @notice What the exchange actually holds.
    function reserves() external view returns (uint256) {
        return address(this).balance;
    }

    /// @notice Whether what it holds covers what the published tree says it owes.
    function solvent() external view returns (bool) {
        return address(this).balance >= totalLiabilities;
    }
}
