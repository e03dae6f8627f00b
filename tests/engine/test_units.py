import math

import pytest

from engine.errors import GpucostError
from engine.units import fmt_money, parse_number, parse_price


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.17e8", 1.17e8),
        ("117M", 117e6),
        ("70B", 70e9),
        ("1.5T", 1.5e12),
        ("2T", 2e12),
        ("10M/day", 10e6),
        ("1.17亿", 1.17e8),
        ("7千万", 7e7),
        ("3万", 3e4),
        ("80%", 0.8),
        ("1,000", 1000),
        ("10k", 1e4),
    ],
)
def test_numbers(text, value):
    assert math.isclose(parse_number(text), value, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("text", "value", "cur"),
    [
        ("0.3", 0.3, None),
        ("$0.3", 0.3, "USD"),
        ("0.3usd", 0.3, "USD"),
        ("0.3元", 0.3, "CNY"),
        ("¥0.3", 0.3, "CNY"),
        ("0.3cny", 0.3, "CNY"),
        ("2.5usd/h", 2.5, "USD"),
    ],
)
def test_prices(text, value, cur):
    assert parse_price(text) == (pytest.approx(value), cur)


@pytest.mark.parametrize("bad", ["abc", "1.2x", "", "nan", "inf", "1e999"])
def test_bad_numbers_are_one_line(bad):
    with pytest.raises(GpucostError) as e:
        parse_number(bad)
    assert "\n" not in str(e.value) and "number" in str(e.value)


@pytest.mark.parametrize("bad", ["-1", "0", "5000", "3eur", "$0.3元"])
def test_bad_prices(bad):
    with pytest.raises(GpucostError):
        parse_price(bad)


def test_money_format():
    assert fmt_money(1234.5, "USD") == "$1,234"
    assert fmt_money(0.000123, "CNY") == "¥0.000123"
    assert fmt_money(2.5, "USD") == "$2.50"
