"""The solidity and onchain graders: specs validated with paths, submissions refused, contracts
and levels graded on real Anvil chains (through a real chain host), chains left as they were."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campus.errors import ServiceError
from courses.api import GradingContext, RetryableGradingError, grader_for, submit_attempt
from courses.grading import attempts
from courses.models import Attempt
from sandbox.chain.checks import canonical, expected_values
from sandbox.chain.models import Deployment, LevelInstance
from sandbox.chain.nodes import chain_web3
from sandbox.chain.selectors import dev_accounts
from sandbox.chain.services import reset_chain
from sandbox.chain.studio import send_transaction
from tests.factories import EnrollmentFactory, ExerciseFactory, OfferingFactory

SUPPLY = str(10**6 * 10**18)
SOLUTION = settings.BASE_DIR / "tests" / "courses" / "solutions" / "write-an-erc20.sol"
OWN_TOKEN = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract CampusToken {
    string public constant name = "Busan Campus Token";
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor(uint256 initialSupply) {
        totalSupply = initialSupply;
        balanceOf[msg.sender] = initialSupply;
        emit Transfer(address(0), msg.sender, initialSupply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "BCT: transfer amount exceeds balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
"""
CORRECT_TOKEN = SOLUTION.read_text() if Path(SOLUTION).exists() else OWN_TOKEN
# Off by one in the supply, no event, and no balance check (the subtraction is unchecked).
BROKEN_TOKEN = """pragma solidity ^0.8.20;
contract CampusToken {
    string public constant name = "Busan Campus Token";
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    event Transfer(address indexed from, address indexed to, uint256 value);
    constructor(uint256 initialSupply) {
        totalSupply = initialSupply - 1;
        balanceOf[msg.sender] = initialSupply;
    }
    function transfer(address to, uint256 value) external returns (bool) {
        unchecked { balanceOf[msg.sender] -= value; }
        balanceOf[to] += value;
        return true;
    }
}
"""
LOOPING_TOKEN = """pragma solidity ^0.8.20;
contract CampusToken {
    uint256 public counter;
    constructor(uint256) {}
    function totalSupply() external pure returns (uint256 n) { while (true) { n++; } }
    function transfer(address, uint256) external returns (bool) { while (true) { counter++; } }
}
"""
STARTER = "pragma solidity ^0.8.20;\n\ncontract CampusToken {\n    // TODO\n}\n"


def named(en: str) -> dict:
    return {"en": en, "ko": en}


TOKEN_SPEC = {
    "contract": "CampusToken",
    "starter": "starter.sol",
    "constructor_args": [SUPPLY],
    "checks": [
        {"name": named("Total supply"), "call": "totalSupply()", "returns": SUPPLY},
        {"name": named("Name"), "call": "name()", "args": [], "returns": "Busan Campus Token"},
        {
            "name": named("Deployer holds it all"),
            "call": "balanceOf(address)",
            "args": ["@account0"],
            "returns": SUPPLY,
        },
        {
            "name": named("Transfer emits Transfer"),
            "send": "transfer(address,uint256)",
            "from": 0,
            "args": ["@account1", "100"],
            "expect_event": "Transfer",
            "hint": named("emit Transfer(msg.sender, to, value)"),
        },
        {
            "name": named("Receiver credited"),
            "call": "balanceOf(address)",
            "args": ["@account1"],
            "returns": 100,
        },
        {
            "name": named("Overdraft reverts"),
            "send": "transfer(address,uint256)",
            "from": 1,
            "args": ["@account0", "101"],
            "expect_revert": "exceeds balance",
        },
        {"name": named("Slot 0 is the supply"), "storage": 0, "equals": SUPPLY},
        {"name": named("No ether in it"), "balance": "@contract", "equals": "0"},
    ],
}

GATE = """pragma solidity ^0.8.20;
contract Gate {
    mapping(address => bool) public passed;
    address public keeper;
    event Passed(address indexed who);
    constructor() payable { keeper = msg.sender; }
    function pass(string calldata word) external {
        require(!passed[msg.sender], "Gate: passed already");
        require(keccak256(bytes(word)) == keccak256("open sesame"), "Gate: wrong word");
        passed[msg.sender] = true;
        emit Passed(msg.sender);
    }
}
"""
GATE_SPEC = {
    "level": "gate.sol",
    "contract": "Gate",
    "value_wei": "1000",
    "checks": [
        {
            "name": named("You passed"),
            "call": "passed(address)",
            "args": ["@player"],
            "returns": True,
        },
        {
            "name": named("Account 5 can pass"),
            "send": "pass(string)",
            "from": 5,
            "args": ["open sesame"],
            "expect_event": "Passed",
        },
        {
            "name": named("Nobody passes twice"),
            "send": "pass(string)",
            "from": 5,
            "args": ["open sesame"],
            "expect_revert": "passed already",
        },
        {"name": named("The gate keeps its ether"), "balance": "@contract", "equals": 1000},
        {"name": named("The keeper is account 0"), "storage": 1, "equals": "@account0"},
    ],
}


@pytest.fixture
def no_task_queue(monkeypatch):
    """Grading is run by the test (attempts.grade), not by a Celery worker."""
    nothing = SimpleNamespace(delay=lambda *args: None, apply_async=lambda *args, **kwargs: None)
    monkeypatch.setattr("courses.tasks.grade_attempt", nothing)


def token_exercise(offering, spec=TOKEN_SPEC):
    return ExerciseFactory(
        lesson__module__course=offering.course,
        kind="solidity",
        spec=spec,
        files={"starter.sol": STARTER},
    )


def gate_exercise(offering):
    return ExerciseFactory(
        lesson__module__course=offering.course,
        kind="onchain",
        spec=GATE_SPEC,
        files={"gate.sol": GATE},
    )


def context(exercise, chain, submission) -> GradingContext:
    """What a worker would grade: `chain` is the student's (or anything with offering and owner)."""
    now = timezone.now()
    return GradingContext(
        attempt_id=0,
        exercise=exercise,
        offering=chain.offering,
        user=chain.owner,
        submission=submission,
        submitted_at=now,
        window_start=now,
        language="en",
    )


def grade_source(chain, source, spec=TOKEN_SPEC):
    exercise = token_exercise(chain.offering, spec)
    return grader_for("solidity").grade(context(exercise, chain, {"source": source}))


def by_name(outcome) -> dict:
    return {
        check.name["en"] if isinstance(check.name, dict) else check.name: check
        for check in outcome.checks
    }


# -- specs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_specs_written_as_the_readme_says_have_no_problems():
    assert (
        grader_for("solidity").validate_spec(
            TOKEN_SPEC, languages=["en", "ko"], files={"starter.sol": STARTER}
        )
        == []
    )
    assert (
        grader_for("onchain").validate_spec(
            GATE_SPEC, languages=["en", "ko"], files={"gate.sol": GATE}
        )
        == []
    )


@pytest.mark.django_db
def test_a_solidity_spec_reports_every_problem_at_its_path():
    spec = {
        "starter": "missing.sol",
        "constructor_args": ["@player"],
        "checks": [
            {"name": "Two forms", "call": "a()", "balance": "@contract", "equals": 0},
            {"name": "Bad signature", "call": "transfer(address, uint256)"},
            {"name": "Bad type", "call": "f(uint7)"},
            {"name": "Arity", "send": "transfer(address,uint256)", "args": ["@account1"]},
            {
                "name": "Bad value",
                "send": "f(uint256)",
                "args": ["lots"],
                "from": 10,
                "value_wei": "x",
            },
            {"name": "Placeholder", "call": "balanceOf(address)", "args": ["@account10"]},
            {"name": {"en": "only English"}, "balance": "@contract", "equals": "-1"},
            {"name": "Revert", "send": "f()", "expect_revert": 5, "expect_event": "E"},
            {"name": "Slot", "storage": "zero", "equals": "0x12", "hint": {"fr": "non"}},
            {"name": "Typo", "call": "f()", "return": 5},
        ],
    }

    problems = grader_for("solidity").validate_spec(spec, languages=["en", "ko"], files={})

    assert {problem.path for problem in problems} == {
        ("contract",),
        ("starter",),
        ("constructor_args", 0),
        ("checks", 0),
        ("checks", 1, "call"),
        ("checks", 2, "call"),
        ("checks", 3, "args"),
        ("checks", 4, "args", 0),
        ("checks", 4, "from"),
        ("checks", 4, "value_wei"),
        ("checks", 5, "args", 0),
        ("checks", 6, "name"),
        ("checks", 6, "equals"),
        ("checks", 7, "expect_revert"),
        ("checks", 7, "expect_event"),
        ("checks", 8, "storage"),
        ("checks", 8, "hint"),
        ("checks", 8, "hint", "fr"),
        ("checks", 9, "return"),
    }


@pytest.mark.django_db
def test_an_onchain_spec_is_checked_against_its_compiled_level():
    spec = {
        **GATE_SPEC,
        "constructor_args": ["@account1"],
        "checks": [
            {"name": "Missing function", "call": "opened()", "returns": True},
            {
                "name": "Wrong return",
                "call": "passed(address)",
                "args": ["@player"],
                "returns": "maybe",
            },
            {
                "name": "Unknown event",
                "send": "pass(string)",
                "args": ["x"],
                "expect_event": "Opened",
            },
        ],
    }
    broken = {"gate.sol": GATE.replace("contract Gate", "contract Gat")}

    problems = grader_for("onchain").validate_spec(spec, languages=["en"], files={"gate.sol": GATE})
    missing = grader_for("onchain").validate_spec(GATE_SPEC, languages=["en", "ko"], files=broken)
    unparsable = grader_for("onchain").validate_spec(
        GATE_SPEC, languages=["en", "ko"], files={"gate.sol": "contract {"}
    )

    assert {problem.path for problem in problems} == {
        ("constructor_args",),
        ("checks", 0, "call"),
        ("checks", 1, "returns"),
        ("checks", 2, "expect_event"),
    }
    assert [(p.path, "defines no contract Gate" in p.message) for p in missing] == [
        (("contract",), True)
    ]
    assert [p.path for p in unparsable] == [("level",)]
    assert "does not compile" in unparsable[0].message


def test_returns_compare_by_the_declared_abi_type():
    outputs = [
        {"type": "uint8"},
        {"type": "address"},
        {
            "type": "tuple",
            "components": [{"name": "a", "type": "bool"}, {"name": "b", "type": "string"}],
        },
        {"type": "uint256[]"},
    ]
    address = "0x" + "ab" * 20
    decoded = (18, address, (True, "hi"), (1, 2))

    wanted = expected_values(
        outputs, ["18", address.upper().replace("0X", "0x"), [True, "hi"], ["1", 2]]
    )

    assert wanted == [canonical(p, v) for p, v in zip(outputs, decoded, strict=True)]
    assert expected_values([{"type": "uint256"}], ["5"]) == [5]  # a one-item list for one value


# -- submissions ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "data", "code"),
    [
        ("solidity", {"source": ["   \n"]}, "source_empty"),
        ("solidity", {}, "source_empty"),
        ("solidity", {"source": ["// " + "x" * 20_000]}, "source_too_large"),
        ("onchain", {"player": ["10"]}, "unknown_account"),
        ("onchain", {"player": ["0x" + "12" * 20]}, "unknown_account"),
    ],
)
def test_a_refused_submission_stores_nothing(kind, data, code):
    student = EnrollmentFactory()
    exercise = (token_exercise if kind == "solidity" else gate_exercise)(student.offering)

    with pytest.raises(ServiceError) as refused:
        submit_attempt(offering=student.offering, exercise=exercise, user=student.user, data=data)

    assert refused.value.code == code
    assert not Attempt.objects.exists()


@pytest.mark.django_db
def test_the_spec_may_lower_the_source_limit():
    exercise = token_exercise(OfferingFactory(), {**TOKEN_SPEC, "max_source_bytes": 100})

    with pytest.raises(ServiceError) as refused:
        grader_for("solidity").clean_submission(exercise=exercise, data={"source": ["x" * 101]})

    assert refused.value.code == "source_too_large"
    assert "101 bytes" in refused.value.message


@pytest.mark.django_db
def test_the_exercise_page_edits_the_starter_then_the_last_submission(client, no_task_queue):
    student = EnrollmentFactory()
    exercise = token_exercise(student.offering)
    client.force_login(student.user)
    url = reverse("learn-exercise", args=[student.offering.slug, exercise.slug])

    first = client.get(url).content.decode()
    refused = client.post(url, {"source": ["// " + "x" * 20_000]})
    client.post(url, {"source": ["contract Mine {}"]})
    later = client.get(url).content.decode()

    assert 'name="source"' in first and "// TODO" in first
    assert refused.status_code == 400 and "x" * 20_000 in refused.content.decode()  # kept
    assert "contract Mine {}" in later and "// TODO" not in later


# -- solidity ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_compile_error_fails_one_check_naming_its_line():
    student = EnrollmentFactory()
    source = "pragma solidity ^0.8.20;\n\ncontract CampusToken {\n    uint256 x = ;\n}\n"

    outcome = grade_source(SimpleNamespace(offering=student.offering, owner=student.user), source)

    [check] = outcome.checks
    assert (check.name, check.passed) == ("It compiles", False)
    assert check.detail.startswith("line 4: ")
    assert outcome.fraction() == 0


@pytest.mark.django_db
def test_an_unreachable_chain_is_a_passing_trouble(no_task_queue):
    student = EnrollmentFactory()  # and no chain host is running
    exercise = token_exercise(student.offering)
    attempt = submit_attempt(
        offering=student.offering,
        exercise=exercise,
        user=student.user,
        data={"source": [CORRECT_TOKEN]},
    )

    with pytest.raises(RetryableGradingError, match="No chain host"):
        attempts.grade(attempt.pk)

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.RUNNING  # to be retried, not failed


def test_a_correct_erc20_passes_every_check(chain_host, student_chain, no_task_queue):
    chain, _ = student_chain()
    exercise = token_exercise(chain.offering)
    attempt = submit_attempt(
        offering=chain.offering,
        exercise=exercise,
        user=chain.owner,
        data={"source": [CORRECT_TOKEN]},
    )

    graded = attempts.grade(attempt.pk)

    assert graded.status == Attempt.Status.PASSED, graded.feedback
    assert graded.score == 1
    assert [check["name"]["en"] for check in graded.feedback] == [
        c["name"]["en"] for c in TOKEN_SPEC["checks"]
    ]


def test_a_broken_erc20_fails_the_right_checks_and_says_why(chain_host, student_chain):
    chain, _ = student_chain()

    checks = by_name(grade_source(chain, BROKEN_TOKEN))

    failed = {name for name, check in checks.items() if not check.passed}
    assert failed == {
        "Total supply",
        "Transfer emits Transfer",
        "Overdraft reverts",
        "Slot 0 is the supply",
    }
    assert (
        checks["Total supply"].detail
        == f"totalSupply() returned {int(SUPPLY) - 1}, expected {SUPPLY}"
    )
    assert checks["Transfer emits Transfer"].detail == "no Transfer event was emitted"
    assert checks["Transfer emits Transfer"].hint == named("emit Transfer(msg.sender, to, value)")
    assert (
        checks["Overdraft reverts"].detail
        == "the transaction transfer(address,uint256) did not revert"
    )
    assert checks["Receiver credited"].passed and checks["Receiver credited"].hint is None


def test_an_endless_loop_runs_out_of_gas(chain_host, student_chain):
    chain, _ = student_chain()

    checks = by_name(grade_source(chain, LOOPING_TOKEN))

    assert "totalSupply() ran out of gas" in checks["Total supply"].detail
    assert "transfer(address,uint256) ran out of gas" in checks["Transfer emits Transfer"].detail
    assert checks["Name"].detail == "CampusToken has no function name()"


def test_grading_leaves_the_chain_as_it_was(chain_host, student_chain):
    chain, _ = student_chain()
    w3 = chain_web3(chain)
    account0 = dev_accounts(chain)[0].address
    before = (
        w3.eth.block_number,
        w3.eth.get_balance(account0),
        w3.eth.get_transaction_count(account0),
    )

    outcome = grade_source(chain, CORRECT_TOKEN)

    assert outcome.fraction() == 1
    after = (
        w3.eth.block_number,
        w3.eth.get_balance(account0),
        w3.eth.get_transaction_count(account0),
    )
    assert after == before
    assert Deployment.objects.filter(chain=chain).count() == 0


# -- onchain -------------------------------------------------------------------------------------


def test_opening_a_level_deploys_it_once(chain_host, student_chain, client):
    chain, _ = student_chain()
    exercise = gate_exercise(chain.offering)
    client.force_login(chain.owner)
    url = reverse("learn-exercise", args=[chain.offering.slug, exercise.slug])

    first = client.get(url).content.decode()
    again = client.get(url).content.decode()

    instance = LevelInstance.objects.get()
    assert (instance.chain, instance.exercise, instance.status) == (chain, exercise, "deployed")
    assert chain_web3(chain).eth.get_balance(instance.address) == 1000  # value_wei
    assert Deployment.objects.get(chain=chain).address == instance.address  # in the studio
    assert instance.address in first and instance.address in again
    assert "open sesame" in again  # the level's source
    players = again[
        again.index('id="onchain-player"') : again.index(
            "</select>", again.index('id="onchain-player"')
        )
    ]
    assert players.count("<option ") == 10
    assert 'name="player"' in again and "level-problem" not in again


def test_a_level_passes_once_solved_and_grading_leaves_it_as_it_was(
    chain_host, student_chain, no_task_queue
):
    chain, _ = student_chain()
    exercise = gate_exercise(chain.offering)
    address = grader_for("onchain").workspace(
        exercise=exercise, offering=chain.offering, user=chain.owner
    )["address"]
    player, account5 = dev_accounts(chain)[3].address, dev_accounts(chain)[5].address
    submit = {"player": ["3"]}

    unsolved = attempts.grade(
        submit_attempt(offering=chain.offering, exercise=exercise, user=chain.owner, data=submit).pk
    )
    send_transaction(
        chain=chain,
        deployment=Deployment.objects.get(chain=chain, address=address),
        function="pass",
        args=["open sesame"],
        sender=player,
    )
    solved = attempts.grade(
        submit_attempt(offering=chain.offering, exercise=exercise, user=chain.owner, data=submit).pk
    )

    assert unsolved.status == Attempt.Status.FAILED
    assert [c["passed"] for c in unsolved.feedback] == [False, True, True, True, True]
    assert unsolved.feedback[0]["detail"] == "passed(address) returned false, expected true"
    assert solved.status == Attempt.Status.PASSED, solved.feedback
    gate = chain_web3(chain).eth.contract(
        address=address,
        abi=[
            {
                "type": "function",
                "name": "passed",
                "stateMutability": "view",
                "inputs": [{"name": "", "type": "address"}],
                "outputs": [{"name": "", "type": "bool"}],
            }
        ],
    )
    assert gate.functions.passed(player).call() is True
    assert gate.functions.passed(account5).call() is False  # the grader's own pass was undone


def test_a_level_removed_by_a_reset_is_deployed_again(chain_host, student_chain):
    chain, _ = student_chain()
    exercise = gate_exercise(chain.offering)
    grader = grader_for("onchain")
    grader.workspace(exercise=exercise, offering=chain.offering, user=chain.owner)
    deployed_at = LevelInstance.objects.get().deployed_at
    reset_chain(chain=chain)

    outcome = grader.grade(context(exercise, chain, {"player": 0}))

    [check] = outcome.checks
    instance = LevelInstance.objects.get()
    assert not check.passed and f"a new one was deployed at {instance.address}" in check.detail
    assert instance.deployed_at > deployed_at and instance.status == "deployed"
    assert chain_web3(chain).eth.get_code(instance.address)
    again = grader.grade(context(exercise, chain, {"player": 0}))
    assert [c.passed for c in again.checks] == [False, True, True, True, True]


# -- a harness the student cannot edit -----------------------------------------------------------
VAULT_LESSON = settings.BASE_DIR / "courses/catalog/dax101/risk/smart-contract-security"
VAULT_SOLUTION = settings.BASE_DIR / "tests/courses/solutions/fix-the-vault.sol"


def vault_exercise(offering):
    """The shipped "Fix the vault": its exam (VaultExam, Thief) is a harness, not the editor's."""
    import yaml

    document = yaml.safe_load((VAULT_LESSON / "fix-the-vault.yaml").read_text())
    files = {
        name: (VAULT_LESSON / name).read_text()
        for name in (document["spec"]["starter"], document["spec"]["harness"])
    }
    return ExerciseFactory(
        lesson__module__course=offering.course, kind="solidity", spec=document["spec"], files=files
    )


@pytest.mark.django_db
def test_a_harness_must_define_the_deployed_contract_and_import_the_submission():
    spec = {**TOKEN_SPEC, "harness": "exam.sol"}
    files = {"starter.sol": STARTER, "exam.sol": "contract Other {}"}

    problems = grader_for("solidity").validate_spec(spec, languages=["en", "ko"], files=files)

    messages = [p.message for p in problems if p.path == ("harness",)]
    assert any("CampusToken" in m for m in messages)
    assert any("./Submission.sol" in m for m in messages)


def test_a_fixed_vault_passes_the_exam_it_cannot_edit(chain_host, student_chain):
    chain, _ = student_chain()
    exercise = vault_exercise(chain.offering)

    outcome = grader_for("solidity").grade(
        context(exercise, chain, {"source": VAULT_SOLUTION.read_text()})
    )

    assert outcome.fraction() == 1, [(c.name, c.detail) for c in outcome.checks]


def test_a_submission_that_brings_its_own_exam_is_still_graded_by_the_real_one(
    chain_host, student_chain
):
    chain, _ = student_chain()
    exercise = vault_exercise(chain.offering)
    starter = exercise.files[exercise.spec["starter"]]  # the unfixed vault
    forged = starter + "\ncontract VaultExam {\n    event AttackRepelled();\n}\n"

    outcome = grader_for("solidity").grade(context(exercise, chain, {"source": forged}))

    assert 0 < outcome.fraction() < 1  # the honest-customer checks pass, the attack succeeds
    assert not all(check.passed for check in outcome.checks)
