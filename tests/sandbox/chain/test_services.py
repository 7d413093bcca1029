"""Opening a chain, its URL, snapshots and resets, instructors' forks, through the chain host."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from web3 import Web3

from campus.errors import ServiceError
from sandbox.chain.models import Chain
from sandbox.chain.services import (
    discard_fork,
    open_chain,
    open_fork,
    reset_chain,
    reset_offering_chains,
    revert_to_snapshot,
    rpc_path,
    take_snapshot,
)
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory


def node(host, chain) -> Web3:
    return Web3(Web3.HTTPProvider(f"http://127.0.0.1:{host.ensure(chain.pk)}"))


def transfer(w3: Web3, wei: int) -> None:
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction(
            {"from": w3.eth.accounts[0], "to": w3.eth.accounts[1], "value": wei}
        )
    )


@pytest.mark.django_db
def test_a_student_has_one_chain_per_offering_with_its_own_id_and_secret_url():
    enrollment = EnrollmentFactory()
    other = EnrollmentFactory(offering=enrollment.offering)

    chain = open_chain(offering_id=enrollment.offering_id, owner_id=enrollment.user_id)
    again = open_chain(offering_id=enrollment.offering_id, owner_id=enrollment.user_id)
    theirs = open_chain(offering_id=other.offering_id, owner_id=other.user_id)

    assert again.pk == chain.pk
    assert chain.chain_id != theirs.chain_id
    assert rpc_path(chain) != rpc_path(theirs)
    assert len(rpc_path(chain).split("/")[2]) >= 32
    assert rpc_path(chain).split("/")[2] not in chain.encrypted_token  # kept encrypted


@pytest.mark.django_db
def test_only_enrolled_people_have_a_chain():
    with pytest.raises(ServiceError) as refused:
        open_chain(offering_id=OfferingFactory().pk, owner_id=UserFactory().pk)

    assert refused.value.code == "not_enrolled"
    assert not Chain.objects.exists()


def test_chain_url_prints_the_students_rpc_url(student_chain):
    chain, path = student_chain()

    out = StringIO()
    call_command("chain_url", chain.owner.username, "--offering", chain.offering.slug, stdout=out)

    assert out.getvalue().strip() == f"http://127.0.0.1:8000{path}"
    with pytest.raises(CommandError, match="No offering"):
        call_command("chain_url", chain.owner.username, "--offering", "nope")


def test_reverting_to_a_snapshot_undoes_what_came_after_it(chain_host, student_chain):
    chain, _ = student_chain()
    transfer(node(chain_host, chain), 1)
    snapshot = take_snapshot(chain=chain, label="before the exercise")
    transfer(node(chain_host, chain), 2)
    transfer(node(chain_host, chain), 3)

    revert_to_snapshot(snapshot=snapshot)

    assert snapshot.block_number == 1
    assert node(chain_host, chain).eth.block_number == 1


def test_a_reset_goes_back_to_genesis_with_the_same_funded_accounts(chain_host, student_chain):
    chain, _ = student_chain()
    w3 = node(chain_host, chain)
    accounts = w3.eth.accounts
    transfer(w3, 10**18)

    reset_chain(chain=chain)

    again = node(chain_host, chain)
    assert again.eth.block_number == 0
    assert again.eth.accounts == accounts
    assert again.eth.get_balance(accounts[0]) == Web3.to_wei(1000, "ether")


def test_an_instructor_resets_every_chain_in_the_offering(chain_host, student_chain):
    alice, _ = student_chain()
    bob, _ = student_chain(offering=alice.offering)
    never_used, _ = student_chain(offering=alice.offering)
    for chain in (alice, bob):
        transfer(node(chain_host, chain), 5)

    done, problems = reset_offering_chains(offering_id=alice.offering_id)

    assert (done, problems) == (2, [])
    assert node(chain_host, alice).eth.block_number == 0
    assert node(chain_host, bob).eth.block_number == 0
    assert Chain.objects.get(pk=never_used.pk).host_id is None  # never started, left alone


def test_an_instructors_fork_sees_the_students_chain_and_never_changes_it(
    chain_host, student_chain
):
    chain, _ = student_chain()
    student = node(chain_host, chain)
    transfer(student, 7)
    instructor = UserFactory()

    fork = open_fork(chain=chain, opened_by_id=instructor.pk)
    forked = node(chain_host, fork)
    sender, receiver = student.eth.accounts[0], student.eth.accounts[1]
    balance = student.eth.get_balance(receiver)
    forked.eth.wait_for_transaction_receipt(  # sent as the student, on the fork only
        forked.eth.send_transaction({"from": sender, "to": receiver, "value": 10**18})
    )

    assert forked.eth.get_balance(receiver) == balance + 10**18
    assert student.eth.get_balance(receiver) == balance
    assert student.eth.block_number == 1
    discard_fork(fork=fork)
    assert not Chain.objects.filter(pk=fork.pk).exists()
    assert chain_host.running_chains() == [chain.pk]
