"""Solidity through solc's WebAssembly build from npm: warm, pinned, imports from vetted libraries."""

import os
import signal

import pytest
import solcx
import solcx.wrapper
from django.conf import settings
from packaging.version import Version

from sandbox.chain.compiler import SOLC_ADAPTOR, WarmCompiler, standard_input

TOKEN = (settings.BASE_DIR / "sandbox" / "chain" / "contracts" / "CampusToken.sol").read_text()


@pytest.fixture(scope="module")
def compiler():
    warm = WarmCompiler()
    yield warm
    warm.close()


def test_an_erc20_importing_openzeppelin_compiles(compiler):
    result = compiler.compile({"CampusToken.sol": TOKEN})

    assert result.ok, result.errors
    token = result.contracts["CampusToken"]
    assert "transfer(address,uint256)" in token.method_identifiers
    assert token.bytecode.startswith("60")
    assert result.compiler_version.startswith("0.8.37")


def test_a_syntax_error_names_file_line_and_column(compiler):
    source = "pragma solidity ^0.8.0;\ncontract Broken {\n    uint x = ;\n}\n"

    result = compiler.compile({"Broken.sol": source})

    assert not result.ok
    [error] = result.errors
    assert (error.file, error.line, error.column) == ("Broken.sol", 3, 14)
    assert "Expected" in error.message


def test_imports_outside_the_vetted_libraries_are_refused(compiler):
    source = 'pragma solidity ^0.8.0;\nimport "../../../etc/passwd";\ncontract A {}\n'

    result = compiler.compile({"A.sol": source})

    assert not result.ok
    assert "only @openzeppelin/contracts/ can be imported" in result.errors[0].message


def test_the_evm_version_is_pinned_to_the_chains(compiler):
    source = "pragma solidity ^0.8.0;\ncontract Fee { function f() external view returns (uint) { return block.blobbasefee; } }\n"

    pinned = compiler.compile({"Fee.sol": source})
    older = compiler.compile({"Fee.sol": source}, evm_version="paris")

    assert (
        standard_input({}, evm_version=None)["settings"]["evmVersion"] == settings.CHAIN_EVM_VERSION
    )
    assert pinned.ok, pinned.errors
    assert not older.ok


def test_a_killed_compiler_process_is_restarted(compiler):
    compiler.compile({"A.sol": "pragma solidity ^0.8.0; contract A {}"})
    os.kill(compiler._process.pid, signal.SIGKILL)
    compiler._process.wait()

    result = compiler.compile({"A.sol": "pragma solidity ^0.8.0; contract A {}"})

    assert result.ok


def test_py_solc_x_drives_the_adaptor_unmodified():
    assert solcx.wrapper.get_solc_version(SOLC_ADAPTOR) == Version("0.8.37")

    output = solcx.compile_standard(
        standard_input({"CampusToken.sol": TOKEN}), solc_binary=SOLC_ADAPTOR
    )

    assert "CampusToken" in output["contracts"]["CampusToken.sol"]
