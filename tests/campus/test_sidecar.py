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


def test_submit_returns_at_once_and_starts_what_it_was_given_in_turn():
    started, release = [], threading.Event()

    async def held(n):
        started.append(n)
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 10)
        return n

    futures = [sidecar.submit(held(n)) for n in range(3)]
    assert not any(future.done() for future in futures)  # none was waited for
    release.set()

    assert [future.result(10) for future in futures] == [0, 1, 2]
    assert started == [0, 1, 2]


def test_submit_from_the_sidecar_loop_itself_is_refused():
    async def inside():
        coroutine = asyncio.sleep(0)
        try:
            with pytest.raises(RuntimeError, match="from the sidecar loop itself"):
                sidecar.submit(coroutine)
        finally:
            coroutine.close()
        return True

    assert sidecar.run(inside()) is True
