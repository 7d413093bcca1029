"""My chain (a student's) and Students' chains (an instructor's) through the Django test client:
who may open them, what they show (a real chain host and Anvil where a chain must answer), and
that every action does what it says, or refuses with a message and changes nothing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from web3 import Web3

from courses.models import Enrollment
from sandbox.chain.anvil import student_mnemonic
from sandbox.chain.links import chain_offering_links
from sandbox.chain.models import Chain, ChainHost, ChainPolicy, Snapshot
from sandbox.chain.nodes import chain_web3
from sandbox.chain.services import open_chain, open_fork, rpc_path, take_snapshot
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory


def mine(offering, name="chain-mine", *args):
    return reverse(name, args=[offering.slug, *args])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def transfer(chain, wei: int = 1) -> None:
    w3 = chain_web3(chain)
    tx = w3.eth.send_transaction(
        {"from": w3.eth.accounts[0], "to": w3.eth.accounts[1], "value": wei}
    )
    w3.eth.wait_for_transaction_receipt(tx)


def logged_in_student(client, **enrollment):
    student = EnrollmentFactory(**enrollment)
    client.force_login(student.user)
    return student


def logged_in_instructor(client, offering):
    instructor = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR)
    client.force_login(instructor.user)
    return instructor.user


def dead_host() -> ChainHost:
    """A chain host that once ran chains and now answers nothing (port 9: discard, closed)."""
    return ChainHost.objects.create(name="gone", control_url="http://127.0.0.1:9", capacity=1)


# -- who may open My chain ---------------------------------------------------------------------


@pytest.mark.django_db
def test_my_chain_is_a_404_for_people_not_enrolled_and_asks_strangers_to_log_in(client):
    offering = OfferingFactory()

    anonymous = client.get(mine(offering))
    client.force_login(UserFactory())
    outsider = client.get(mine(offering))

    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert outsider.status_code == 404
    assert not Chain.objects.exists()


@pytest.mark.django_db
def test_a_student_cannot_revert_to_another_students_snapshot(client):
    theirs = EnrollmentFactory()
    their_chain = open_chain(offering_id=theirs.offering_id, owner_id=theirs.user_id)
    snapshot = Snapshot.objects.create(chain=their_chain, file_name="x.json", block_number=3)
    logged_in_student(client, offering=theirs.offering)

    asked = client.get(mine(theirs.offering, "chain-revert", snapshot.pk))
    posted = client.post(mine(theirs.offering, "chain-revert", snapshot.pk))

    assert (asked.status_code, posted.status_code) == (404, 404)


@pytest.mark.django_db
def test_the_offering_page_links_students_to_my_chain_and_managers_to_the_roster():
    student = EnrollmentFactory()
    offering = student.offering
    instructor = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR).user

    assert [link.label for link in chain_offering_links(student.user, offering)] == [
        "My chain",
        "Contract studio",
        "Explorer",
    ]
    assert "Students' chains" in [link.label for link in chain_offering_links(instructor, offering)]
    assert chain_offering_links(UserFactory(), offering) == []


# -- what My chain shows -------------------------------------------------------------------------


def test_my_chain_shows_the_rpc_urls_chain_id_and_the_ten_funded_accounts(
    client, chain_host, student_chain
):
    chain, path = student_chain()
    client.force_login(chain.owner)

    response = client.get(mine(chain.offering))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"http://testserver{path}" in page
    assert f"ws://testserver{path}" in page
    assert str(chain.chain_id) in page
    assert hex(chain.chain_id) in page
    assert chain_web3(chain).eth.accounts == [a.address for a, _ in response.context["accounts"]]
    assert [balance for _, balance in response.context["accounts"]] == ["1,000"] * 10
    assert response.context["chain"].status == Chain.Status.RUNNING
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_my_chain_explains_why_balances_are_missing_when_no_chain_host_runs(client):
    student = logged_in_student(client)

    response = client.get(mine(student.offering))

    assert response.status_code == 200
    assert "No chain host is running" in response.context["unavailable"]
    assert "No chain host is running" in response.content.decode()
    assert [balance for _, balance in response.context["accounts"]] == [None] * 10


@pytest.mark.django_db
def test_my_chain_shows_the_students_own_mnemonic_behind_a_test_keys_warning(client):
    student = logged_in_student(client)
    classmate = EnrollmentFactory(offering=student.offering)

    page = client.get(mine(student.offering)).content.decode()

    own = student_mnemonic(offering_id=student.offering_id, owner_id=student.user_id)
    theirs = student_mnemonic(offering_id=student.offering_id, owner_id=classmate.user_id)
    details = page[
        page.index('<details class="secret-keys">') : page.index(
            "</details>", page.index('<details class="secret-keys">')
        )
    ]
    assert own in details
    assert "Test keys only." in details
    assert theirs not in page


@pytest.mark.django_db
def test_my_chain_offers_the_network_to_a_browser_wallet_as_eip_3085_json(client):
    student = logged_in_student(client)

    response = client.get(mine(student.offering))

    chain = Chain.objects.get()
    assert response.context["wallet_network"] == {
        "chainId": hex(chain.chain_id),
        "chainName": f"BlockCampus · {student.offering.course.title}",
        "rpcUrls": [f"http://testserver{rpc_path(chain)}"],
        "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
    }
    assert 'id="wallet-network"' in response.content.decode()


# -- the student's actions ---------------------------------------------------------------------


def test_taking_a_snapshot_records_it_with_its_label_and_block(client, chain_host, student_chain):
    chain, _ = student_chain()
    client.force_login(chain.owner)
    transfer(chain)

    response = client.post(
        mine(chain.offering, "chain-snapshot"), {"label": "token deployed"}, follow=True
    )

    snapshot = Snapshot.objects.get(chain=chain)
    assert (snapshot.label, snapshot.block_number) == ("token deployed", 1)
    assert messages_of(response) == ["Snapshot “token deployed” taken at block 1."]
    assert "token deployed" in response.content.decode()


@pytest.mark.django_db
def test_a_too_long_snapshot_label_is_refused_with_a_message_and_nothing_taken(client):
    student = logged_in_student(client)

    response = client.post(
        mine(student.offering, "chain-snapshot"), {"label": "x" * 81}, follow=True
    )

    assert not Snapshot.objects.exists()
    [message] = messages_of(response)
    assert message.startswith("Label: Ensure this value has at most 80 characters")


@pytest.mark.django_db
def test_a_snapshot_without_a_chain_host_says_why_and_records_nothing(client):
    student = logged_in_student(client)

    response = client.post(mine(student.offering, "chain-snapshot"), {"label": "a"}, follow=True)

    assert not Snapshot.objects.exists()
    assert "No chain host is running" in messages_of(response)[0]


def test_reverting_asks_first_then_returns_the_chain_to_the_snapshot(
    client, chain_host, student_chain
):
    chain, _ = student_chain()
    client.force_login(chain.owner)
    snapshot = take_snapshot(chain=chain, label="clean")
    transfer(chain)
    transfer(chain)

    asked = client.get(mine(chain.offering, "chain-revert", snapshot.pk))
    assert chain_web3(chain).eth.block_number == 2  # asking changed nothing
    response = client.post(mine(chain.offering, "chain-revert", snapshot.pk), follow=True)

    assert "Go back to “clean”?" in asked.content.decode()
    assert chain_web3(chain).eth.block_number == 0
    assert messages_of(response) == ["Your chain is back at “clean” (block 0)."]


def test_reset_asks_first_then_goes_back_to_genesis(client, chain_host, student_chain):
    chain, _ = student_chain()
    client.force_login(chain.owner)
    transfer(chain, 10**18)

    asked = client.get(mine(chain.offering, "chain-reset"))
    assert chain_web3(chain).eth.block_number == 1
    response = client.post(mine(chain.offering, "chain-reset"), follow=True)

    w3 = chain_web3(chain)
    assert "Reset your chain to genesis?" in asked.content.decode()
    assert w3.eth.block_number == 0
    assert w3.eth.get_balance(w3.eth.accounts[0]) == Web3.to_wei(1000, "ether")
    assert messages_of(response) == ["Your chain is back at genesis: block 0."]


@pytest.mark.django_db
def test_a_reset_the_chain_host_cannot_do_says_why(client):
    student = logged_in_student(client)
    chain = open_chain(offering_id=student.offering_id, owner_id=student.user_id)
    Chain.objects.filter(pk=chain.pk).update(host=dead_host())

    response = client.post(mine(student.offering, "chain-reset"), follow=True)

    assert "The chain host did not answer" in messages_of(response)[0]


@pytest.mark.django_db
def test_rotating_asks_first_then_the_old_rpc_url_is_gone(client):
    student = logged_in_student(client)
    chain = open_chain(offering_id=student.offering_id, owner_id=student.user_id)
    old = rpc_path(chain)

    asked = client.get(mine(student.offering, "chain-rotate"))
    chain.refresh_from_db()
    assert rpc_path(chain) == old
    response = client.post(mine(student.offering, "chain-rotate"), follow=True)

    chain.refresh_from_db()
    assert "Give your chain a new RPC URL?" in asked.content.decode()
    assert rpc_path(chain) != old
    assert old not in response.content.decode()
    assert rpc_path(chain) in response.content.decode()
    assert messages_of(response) == ["Your chain has a new RPC URL: the old one no longer works."]


@pytest.mark.django_db
def test_actions_refuse_get_where_only_post_is_meant(client):
    student = logged_in_student(client)

    assert client.get(mine(student.offering, "chain-snapshot")).status_code == 405
    assert client.post(mine(student.offering)).status_code == 405


# -- Students' chains --------------------------------------------------------------------------


@pytest.mark.django_db
def test_students_chains_are_only_for_people_who_manage_the_offering(client):
    student = EnrollmentFactory()
    offering = student.offering
    chain = open_chain(offering_id=offering.pk, owner_id=student.user_id)
    elsewhere = EnrollmentFactory(role=Enrollment.Role.INSTRUCTOR).user

    client.force_login(student.user)
    as_student = [
        client.get(reverse("chain-roster", args=[offering.slug])).status_code,
        client.post(reverse("chain-roster-reset", args=[offering.slug, chain.pk])).status_code,
        client.post(reverse("chain-roster-fork", args=[offering.slug, chain.pk])).status_code,
        client.post(
            reverse("chain-roster-cheats", args=[offering.slug]), {"cheats": "allow"}
        ).status_code,
        client.post(reverse("chain-roster-reset-all", args=[offering.slug])).status_code,
    ]
    client.force_login(elsewhere)
    other_instructor = client.get(reverse("chain-roster", args=[offering.slug])).status_code

    assert as_student == [404] * 5
    assert other_instructor == 404
    assert not Chain.objects.filter(forked_from__isnull=False).exists()
    assert not ChainPolicy.objects.exists()


@pytest.mark.django_db
def test_the_roster_lists_every_student_with_their_chains_state(client):
    with_chain = EnrollmentFactory(user__username="ara")
    offering = with_chain.offering
    chain = open_chain(offering_id=offering.pk, owner_id=with_chain.user_id)
    Chain.objects.filter(pk=chain.pk).update(
        status=Chain.Status.FAILED, last_error="anvil died 3 times"
    )
    EnrollmentFactory(offering=offering, user__username="bora")
    EnrollmentFactory(offering=offering, user__username="ta", role=Enrollment.Role.TA)
    EnrollmentFactory(offering=offering, user__username="gone", is_active=False)
    logged_in_instructor(client, offering)

    response = client.get(reverse("chain-roster", args=[offering.slug]))

    rows = response.context["rows"]
    assert [(r.student.username, r.chain and r.chain.pk) for r in rows] == [
        ("ara", chain.pk),
        ("bora", None),
    ]
    page = response.content.decode()
    assert "anvil died 3 times" in page
    assert str(chain.chain_id) in page
    assert "No chain yet" in page


@pytest.mark.django_db
def test_the_roster_reads_in_the_same_number_of_queries_for_any_number_of_students(client):
    offering = OfferingFactory()
    logged_in_instructor(client, offering)

    def add_students(count):
        for _ in range(count):
            student = EnrollmentFactory(offering=offering)
            open_fork(
                chain=open_chain(offering_id=offering.pk, owner_id=student.user_id),
                opened_by_id=student.user_id,
            )

    add_students(1)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("chain-roster", args=[offering.slug]))
    add_students(5)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("chain-roster", args=[offering.slug]))

    assert len(many) == len(few)


def test_an_instructor_resets_a_students_chain_after_confirming(client, chain_host, student_chain):
    chain, _ = student_chain()
    transfer(chain)
    logged_in_instructor(client, chain.offering)
    url = reverse("chain-roster-reset", args=[chain.offering.slug, chain.pk])

    asked = client.get(url)
    assert chain_web3(chain).eth.block_number == 1
    response = client.post(url, follow=True)

    assert f"Reset {chain.owner.shown_name}&#x27;s chain to genesis?" in asked.content.decode()
    assert chain_web3(chain).eth.block_number == 0
    assert messages_of(response) == [f"{chain.owner.shown_name}'s chain is back at genesis."]


@pytest.mark.django_db
def test_an_instructor_opens_a_fork_sees_its_url_and_discards_it(client):
    student = EnrollmentFactory()
    offering = student.offering
    chain = open_chain(offering_id=offering.pk, owner_id=student.user_id)
    instructor = logged_in_instructor(client, offering)

    opened = client.post(reverse("chain-roster-fork", args=[offering.slug, chain.pk]), follow=True)

    fork = Chain.objects.get(forked_from=chain)
    assert fork.owner == instructor
    assert f"http://testserver{rpc_path(fork)}" in opened.content.decode()
    assert "A fork of" in messages_of(opened)[0]
    colleague = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR).user
    client.force_login(colleague)
    seen_by_colleague = client.get(reverse("chain-roster", args=[offering.slug])).content.decode()
    assert rpc_path(fork) not in seen_by_colleague  # listed, but its URL is the opener's

    discarded = client.post(
        reverse("chain-roster-discard", args=[offering.slug, fork.pk]), follow=True
    )

    assert not Chain.objects.filter(pk=fork.pk).exists()
    assert "discarded" in messages_of(discarded)[0]


@pytest.mark.django_db
def test_forks_and_student_chains_cannot_stand_in_for_each_other(client):
    student = EnrollmentFactory()
    offering = student.offering
    chain = open_chain(offering_id=offering.pk, owner_id=student.user_id)
    instructor = logged_in_instructor(client, offering)
    fork = open_fork(chain=chain, opened_by_id=instructor.pk)
    other = EnrollmentFactory()
    other_chain = open_chain(offering_id=other.offering_id, owner_id=other.user_id)

    fork_of_fork = client.post(reverse("chain-roster-fork", args=[offering.slug, fork.pk]))
    discard_student_chain = client.post(
        reverse("chain-roster-discard", args=[offering.slug, chain.pk])
    )
    reset_other_offering = client.post(
        reverse("chain-roster-reset", args=[offering.slug, other_chain.pk])
    )

    assert (fork_of_fork.status_code, discard_student_chain.status_code) == (404, 404)
    assert reset_other_offering.status_code == 404
    assert Chain.objects.count() == 3


@pytest.mark.django_db
def test_discarding_a_fork_whose_host_is_down_says_why_and_keeps_it(client):
    student = EnrollmentFactory()
    chain = open_chain(offering_id=student.offering_id, owner_id=student.user_id)
    instructor = logged_in_instructor(client, student.offering)
    fork = open_fork(chain=chain, opened_by_id=instructor.pk)
    Chain.objects.filter(pk=fork.pk).update(host=dead_host())

    response = client.post(
        reverse("chain-roster-discard", args=[student.offering.slug, fork.pk]), follow=True
    )

    assert Chain.objects.filter(pk=fork.pk).exists()
    assert "The chain host did not answer" in messages_of(response)[0]


def test_resetting_every_chain_reports_how_many_were_reset(client, chain_host, student_chain):
    used, _ = student_chain()
    never_used, _ = student_chain(offering=used.offering)
    transfer(used)
    logged_in_instructor(client, used.offering)
    url = reverse("chain-roster-reset-all", args=[used.offering.slug])

    asked = client.get(url)
    response = client.post(url, follow=True)

    assert "Reset every student&#x27;s chain in this offering?" in asked.content.decode()
    assert messages_of(response) == ["1 chain reset."]
    assert chain_web3(used).eth.block_number == 0
    assert Chain.objects.get(pk=never_used.pk).host_id is None


@pytest.mark.django_db
def test_resetting_every_chain_names_those_the_host_could_not_reset(client):
    student = EnrollmentFactory(user__username="ara")
    chain = open_chain(offering_id=student.offering_id, owner_id=student.user_id)
    Chain.objects.filter(pk=chain.pk).update(host=dead_host())
    logged_in_instructor(client, student.offering)

    response = client.post(
        reverse("chain-roster-reset-all", args=[student.offering.slug]), follow=True
    )

    reported = messages_of(response)
    assert reported[0] == "0 chains reset."
    assert reported[1].startswith("Not reset: ara: The chain host did not answer")


@pytest.mark.django_db
def test_the_cheats_toggle_allows_and_refuses_cheat_methods(client):
    offering = OfferingFactory()
    logged_in_instructor(client, offering)
    url = reverse("chain-roster-cheats", args=[offering.slug])

    allowed = client.post(url, {"cheats": "allow"}, follow=True)
    assert ChainPolicy.objects.get(offering=offering).allow_cheats is True
    assert "Refuse cheat methods" in allowed.content.decode()
    refused = client.post(url, {"cheats": "refuse"}, follow=True)

    assert ChainPolicy.objects.get(offering=offering).allow_cheats is False
    assert messages_of(refused) == ["Cheat methods are refused on this offering's chains."]


@pytest.mark.django_db
def test_a_garbled_cheats_toggle_is_refused_with_a_message_and_changes_nothing(client):
    offering = OfferingFactory()
    logged_in_instructor(client, offering)

    response = client.post(
        reverse("chain-roster-cheats", args=[offering.slug]), {"cheats": "yes"}, follow=True
    )

    assert not ChainPolicy.objects.exists()
    assert "Select a valid choice" in messages_of(response)[0]
