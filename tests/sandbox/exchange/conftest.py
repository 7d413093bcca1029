import pytest
from django.core.cache import cache


@pytest.fixture
def empty_cache():
    """The cache (where the stream beat keeps candles and ticker windows) empty before and after."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit callbacks as a real commit would, so engines trust what they saw."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
