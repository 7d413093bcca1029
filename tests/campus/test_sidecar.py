"""The process's sidecar event loop (campus/sidecar.py) for synchronous code that must await."""

import asyncio
import threading

import pytest

from campus import sidecar


async def where_and(value):
    await asyncio.sleep(0)
    return threading.current_thread().name, id(asyncio.get_running_loop()), value


def test_run_returns_the_result_from_one_long_lived_loop():
    first = sidecar.run(where_and(1))
    second = sidecar.run(where_and(2))

    assert first[0] == second[0] == "sidecar-loop"
    assert first[1] == second[1]  # the same loop: its connections are kept between calls
    assert (first[2], second[2]) == (1, 2)


def test_run_raises_what_the_coroutine_raised():
    async def fail():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        sidecar.run(fail())


def test_run_from_inside_an_event_loop_still_waits_for_the_result():
    async def caller():
        return sidecar.run(where_and("inner"))

    assert asyncio.run(caller())[2] == "inner"


def test_run_from_the_sidecar_loop_itself_is_refused_not_deadlocked():
    async def reenter():
        coroutine = where_and("again")
        try:
            return sidecar.run(coroutine)
        finally:
            coroutine.close()

    with pytest.raises(RuntimeError, match="sidecar loop itself"):
        sidecar.run(reenter())


def test_a_call_that_times_out_is_cancelled_so_it_cannot_finish_later():
    finished = []

    async def slow():
        await asyncio.sleep(0.5)
        finished.append(True)

    with pytest.raises(TimeoutError):
        sidecar.run(slow(), timeout=0.05)
    sidecar.run(asyncio.sleep(0.6))

    assert finished == []


def test_posted_work_runs_in_order_with_what_is_run_without_the_caller_waiting():
    ran = []
    gate = threading.Event()

    async def step(name, wait_for=None):
        if wait_for is not None:
            await asyncio.get_running_loop().run_in_executor(None, wait_for.wait, 5)
        ran.append(name)

    sidecar.post(step("first", wait_for=gate))  # returns at once, though it cannot finish yet
    sidecar.post(step("second"))
    assert ran == []
    gate.set()
    sidecar.run(step("third"))  # after everything posted before it

    assert ran == ["first", "second", "third"]


def test_posted_work_that_fails_is_logged_and_what_follows_still_runs(caplog):
    async def fail():
        raise ValueError("no")

    sidecar.post(fail())

    assert sidecar.run(where_and("after"))[2] == "after"
    assert "a task posted to the sidecar loop failed" in caplog.text


def test_posts_past_the_limit_are_dropped_and_logged(monkeypatch, caplog):
    started, gate = threading.Event(), threading.Event()
    ran = []

    async def blocked():
        started.set()
        await asyncio.get_running_loop().run_in_executor(None, gate.wait, 5)

    async def record(n):
        ran.append(n)

    monkeypatch.setattr(sidecar, "MAX_POSTED", 2)
    sidecar.post(blocked())
    assert started.wait(5)  # running, so no longer waiting
    for n in range(4):
        sidecar.post(record(n))
    gate.set()
    sidecar.run(asyncio.sleep(0))

    assert ran == [0, 1]
    assert "2 tasks waiting: one more was dropped" in caplog.text


def test_a_call_s_timeout_counts_its_time_in_the_queue_so_it_cannot_finish_later():
    finished = []

    async def slow(seconds, name):
        await asyncio.sleep(seconds)
        finished.append(name)

    sidecar.post(slow(0.3, "ahead"))
    with pytest.raises(TimeoutError):
        sidecar.run(slow(0.3, "mine"), timeout=0.4)  # starts at 0.3 s, gone at 0.4 s
    sidecar.run(asyncio.sleep(0.5))

    assert finished == ["ahead"]


def test_posted_work_that_is_cancelled_does_not_stop_what_follows(caplog):
    async def cancelled():
        raise asyncio.CancelledError()

    sidecar.post(cancelled())

    assert sidecar.run(where_and("after"), timeout=2)[2] == "after"
    assert "a task posted to the sidecar loop failed" in caplog.text
