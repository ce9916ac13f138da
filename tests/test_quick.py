import pytest

from ganlib import is_quick, quick


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("GANLIB_QUICK", value)
    assert is_quick() is expected
    assert quick(full=30, small=1) == (1 if expected else 30)
