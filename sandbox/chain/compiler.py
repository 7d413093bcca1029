"""Compiling Solidity for the studio, the graders and deployments.

The compiler is solc's WebAssembly build from the npm registry (package.json), so nothing is
downloaded at run time. `WarmCompiler` keeps one Node process with solc loaded and sends it one
standard-JSON input per request, which answers a typical contract in a few hundred milliseconds
instead of the ~2 s a cold start costs. `SOLC_ADAPTOR` is a `solc` executable that py-solc-x
drives as it is (`solcx.compile_standard(..., solc_binary=SOLC_ADAPTOR)`) for scripts and tools.

Imports resolve only against the vetted libraries the project installs (OpenZeppelin Contracts);
`evmVersion` is pinned to what the students' chains run.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

SOLC_DIR = Path(__file__).resolve().parent / "solc"
SOLC_ADAPTOR = SOLC_DIR / "solc.js"
SERVER = SOLC_DIR / "server.js"
OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"]


class CompilerUnavailable(RuntimeError):
    """Node or the npm packages are missing (run `make install`)."""


@dataclass(frozen=True)
class CompileMessage:
    severity: str  # "error" or "warning"
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    code: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        return f"{where}{self.severity}: {self.message}"


@dataclass(frozen=True)
class CompiledContract:
    name: str
    source: str
    abi: list
    bytecode: str
    deployed_bytecode: str
    method_identifiers: dict


@dataclass
class CompileResult:
    compiler_version: str
    contracts: dict[str, CompiledContract] = field(default_factory=dict)
    """By name; of two contracts with one name in different files, the later file's."""
    by_source: dict[tuple[str, str], CompiledContract] = field(default_factory=dict)
    """By (file, name): every contract, same-named ones in different files included."""
    errors: list[CompileMessage] = field(default_factory=list)
    warnings: list[CompileMessage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def standard_input(sources: dict[str, str], *, evm_version: str | None = None) -> dict:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "evmVersion": evm_version or settings.CHAIN_EVM_VERSION,
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": OUTPUTS}},
        },
    }


class WarmCompiler:
    """One persistent Node process per Python process; thread-safe; restarted if it dies."""

    def __init__(self, node: str | None = None) -> None:
        self._node = node or shutil.which("node")
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._ids = itertools.count(1)
        self.version = ""

    def compile(self, sources: dict[str, str], *, evm_version: str | None = None) -> CompileResult:
        request_input = standard_input(sources, evm_version=evm_version)
        with self._lock:
            output = self._ask(request_input)
        return parse_output(output, sources, self.version)

    def close(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.kill()
                self._process.wait()
                self._process = None

    def _ask(self, request_input: dict) -> dict:
        process = self._running()
        request_id = next(self._ids)
        process.stdin.write(json.dumps({"id": request_id, "input": request_input}) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            self._process = None
            raise CompilerUnavailable(
                "the compiler process stopped; it will restart on the next call"
            )
        answer = json.loads(line)
        if answer.get("error"):
            raise CompilerUnavailable(answer["error"])
        return answer["output"]

    def _running(self) -> subprocess.Popen:
        if self._process is not None and self._process.poll() is None:
            return self._process
        if not self._node or not (settings.BASE_DIR / "node_modules" / "solc").exists():
            raise CompilerUnavailable(
                "Node and the npm package solc are needed: run `make install`"
            )
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [self._node, str(SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        hello = json.loads(self._process.stdout.readline() or "{}")
        self.version = hello.get("version", "")
        return self._process


def parse_output(output: dict, sources: dict[str, str], version: str) -> CompileResult:
    result = CompileResult(compiler_version=version)
    for raw in output.get("errors", []):
        message = _message(raw, sources)
        (result.errors if message.severity == "error" else result.warnings).append(message)
    for source, contracts in output.get("contracts", {}).items():
        for name, compiled in contracts.items():
            evm = compiled.get("evm", {})
            contract = CompiledContract(
                name=name,
                source=source,
                abi=compiled.get("abi", []),
                bytecode=evm.get("bytecode", {}).get("object", ""),
                deployed_bytecode=evm.get("deployedBytecode", {}).get("object", ""),
                method_identifiers=evm.get("methodIdentifiers", {}),
            )
            result.contracts[name] = result.by_source[(source, name)] = contract
    return result


def _message(raw: dict, sources: dict[str, str]) -> CompileMessage:
    severity = "error" if raw.get("severity") == "error" else "warning"
    location = raw.get("sourceLocation") or {}
    file = location.get("file", "")
    line, column = _line_and_column(sources.get(file, ""), location.get("start", -1))
    return CompileMessage(
        severity=severity,
        message=raw.get("message", ""),
        file=file,
        line=line,
        column=column,
        code=raw.get("errorCode", ""),
    )


def _line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset (solc counts UTF-8 bytes)."""
    if offset < 0:
        return 0, 0
    before = text.encode("utf-8")[:offset].decode("utf-8", errors="ignore")
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


_compiler = WarmCompiler()


def compile_solidity(sources: dict[str, str], *, evm_version: str | None = None) -> CompileResult:
    """Compile with this process's warm compiler."""
    return _compiler.compile(sources, evm_version=evm_version)
