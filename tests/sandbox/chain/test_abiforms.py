"""Typed contract arguments from what students type in forms, and values shown back to them."""

import re

import pytest

from sandbox.chain.abiforms import (
    AbiValueError,
    ArgumentError,
    canonical_type,
    display_value,
    parse_arguments,
    parse_value,
    selector,
    signature,
)

ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55's own example


def typed(abi_type: str, text: str, **param):
    return parse_value({"type": abi_type, **param}, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000", 1000),
        ("1_000_000", 1_000_000),
        ("1,000,000", 1_000_000),
        ("1e18", 10**18),
        ("1.5e3", 1500),
        ("0xff", 255),
        (" 42 ", 42),
        (str(2**256 - 1), 2**256 - 1),
    ],
)
def test_unsigned_integers_accept_decimal_hex_and_exponent_forms(text, expected):
    assert typed("uint256", text) == expected


@pytest.mark.parametrize(
    ("abi_type", "text", "complaint"),
    [
        ("uint256", "-1", "out of range"),
        ("uint256", str(2**256), "out of range"),
        ("uint8", "256", "between 0 and 2^8-1"),
        ("int8", "-129", "between -2^7 and 2^7-1"),
        ("uint256", "12abc", "not a whole number"),
        ("uint256", "1.5", "not a whole number"),
        ("uint256", "1.25e1", "not a whole number"),
        ("uint256", "", "a value is needed"),
    ],
)
def test_integers_out_of_bounds_or_not_whole_are_refused_with_the_reason(abi_type, text, complaint):
    with pytest.raises(AbiValueError, match=re.escape(complaint)):
        typed(abi_type, text)


def test_signed_integers_take_negative_values_within_bounds():
    assert typed("int8", "-128") == -128
    assert typed("int256", "-1") == -1


def test_addresses_in_lower_case_or_valid_checksum_come_back_checksummed():
    assert typed("address", ADDRESS.lower()) == ADDRESS
    assert typed("address", ADDRESS) == ADDRESS
    assert typed("address", "0x" + ADDRESS[2:].upper()) == ADDRESS


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (ADDRESS[:-1], "40 hex digits"),
        (ADDRESS + "00", "40 hex digits"),
        ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "40 hex digits"),
        (ADDRESS.replace("aA", "Aa", 1), "wrong checksum"),
    ],
)
def test_malformed_or_miscased_addresses_are_refused(text, complaint):
    with pytest.raises(AbiValueError, match=complaint):
        typed("address", text)


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("False", False), ("1", True)])
def test_booleans_read_true_and_false(text, expected):
    assert typed("bool", text) is expected


def test_a_boolean_that_is_neither_is_refused():
    with pytest.raises(AbiValueError, match="true or false"):
        typed("bool", "maybe")


def test_strings_are_kept_exactly_as_typed_even_empty():
    assert typed("string", "  Campus Token ") == "  Campus Token "
    assert typed("string", "") == ""


def test_bytes_are_hex_and_fixed_bytes_must_have_their_exact_length():
    assert typed("bytes", "0x") == b""
    assert typed("bytes", "0xCAFE") == b"\xca\xfe"
    assert typed("bytes4", "0xa9059cbb") == bytes.fromhex("a9059cbb")
    with pytest.raises(AbiValueError, match="exactly 4 bytes"):
        typed("bytes4", "0xa9059c")
    with pytest.raises(AbiValueError, match="even number"):
        typed("bytes", "0xabc")
    with pytest.raises(AbiValueError, match="hex"):
        typed("bytes32", "hello")


def test_arrays_are_json_with_each_item_checked_by_its_type():
    assert typed("uint256[]", '[1, "2", "1e3"]') == [1, 2, 1000]
    assert typed("address[2]", f'["{ADDRESS.lower()}", "{ADDRESS}"]') == [ADDRESS, ADDRESS]
    assert typed("bool[]", "[true, false]") == [True, False]
    assert typed("string[]", '["a", "b"]') == ["a", "b"]
    assert typed("uint8[][]", "[[1], [2, 3]]") == [[1], [2, 3]]


@pytest.mark.parametrize(
    ("abi_type", "text", "complaint"),
    [
        ("uint256[]", "1, 2", "JSON array"),
        ("uint256[]", '{"a": 1}', "JSON array"),
        ("uint256[2]", "[1]", "exactly 2 items"),
        ("uint8[]", "[1, 300]", "out of range"),
        ("string[]", "[1]", "JSON string"),
    ],
)
def test_bad_arrays_are_refused_with_the_reason(abi_type, text, complaint):
    with pytest.raises(AbiValueError, match=complaint):
        typed(abi_type, text)


def test_structs_are_json_arrays_or_objects_of_their_components():
    param = {
        "type": "tuple",
        "components": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
    }

    assert parse_value(param, f'["{ADDRESS}", 5]') == (ADDRESS, 5)
    assert parse_value(param, f'{{"to": "{ADDRESS}", "amount": "5"}}') == (ADDRESS, 5)
    assert canonical_type({**param, "type": "tuple[]"}) == "(address,uint256)[]"


def test_the_first_bad_argument_is_named_with_its_position():
    inputs = [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}]

    with pytest.raises(ArgumentError) as refused:
        parse_arguments(inputs, [ADDRESS, "ten"])

    assert (refused.value.index, refused.value.name) == (1, "amount")
    assert str(refused.value).startswith("amount: ")
    assert parse_arguments(inputs, [ADDRESS, "10"]) == [ADDRESS, 10]


def test_signatures_and_selectors_match_solidity():
    transfer = {
        "type": "function",
        "name": "transfer",
        "inputs": [{"name": "to", "type": "address"}, {"name": "value", "type": "uint256"}],
    }

    assert signature(transfer) == "transfer(address,uint256)"
    assert selector(transfer).hex() == "a9059cbb"


def test_values_are_displayed_so_they_can_be_pasted_back():
    assert display_value({"type": "uint256"}, 10**18) == "1000000000000000000"
    assert display_value({"type": "address"}, ADDRESS.lower()) == ADDRESS
    assert display_value({"type": "bool"}, True) == "true"
    assert display_value({"type": "bytes4"}, b"\xa9\x05\x9c\xbb") == "0xa9059cbb"
    assert display_value({"type": "uint256[]"}, [1, 2]) == '["1", "2"]'
    assert parse_value({"type": "uint256[]"}, display_value({"type": "uint256[]"}, [1, 2])) == [
        1,
        2,
    ]
