"""Where the API's work runs: inline for WSGI and the test client, on a long-lived thread (which
keeps its database connection) for ASGI requests."""

import io
import threading

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.test import RequestFactory

from sandbox.exchange.api import dbthreads


def asgi_request() -> ASGIRequest:
    scope = {"type": "http", "method": "GET", "path": "/api/v3/ping", "headers": []}
    return ASGIRequest(scope, io.BytesIO())


def test_a_wsgi_request_is_answered_in_the_callers_thread():
    request = RequestFactory().get("/api/v3/ping")

    assert dbthreads.run(request, threading.get_ident) == threading.get_ident()


def test_asgi_requests_are_answered_on_the_same_few_long_lived_threads():
    threads = {dbthreads.run(asgi_request(), threading.get_ident) for _ in range(50)}

    assert threading.get_ident() not in threads
    assert len(threads) <= dbthreads.THREADS


def test_an_error_in_the_work_reaches_the_caller():
    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        dbthreads.run(asgi_request(), fail)
