"""What a new user trips on (issue 13): numbers that must agree with each other, options that must
not be silently dropped, output a person reads."""

from __future__ import annotations

import pytest

from engine import run
from engine.errors import GpucostError


@pytest.mark.parametrize("query", ["1.17e8 P4 0.3", "llama-3-8b L4 0.8 requests=3M", "70B 4xH100 2.5 users=1M"])
def test_cost_per_request_means_the_same_in_inference_and_daily(query: str) -> None:
    """One definition per name: the fleet's cost shared over the traffic, in both kinds, so that
    cost per request x requests per day is the cost per day; and requests_per_s is a replica's
    capacity in both."""
    one, day = run(query), run("daily " + query)
    for field in (
        "cost_per_request",
        "cost_per_million_input_tokens",
        "cost_per_million_output_tokens",
        "cost_per_million_tokens",
        "cost_per_day",
        "requests_per_s",
        "replica_cost_per_request",
        "replica_cost_per_million_output_tokens",
    ):
        assert getattr(one, field) == pytest.approx(getattr(day, field), rel=1e-9), field
    r_day = day.inputs["requests_per_day"]
    assert one.cost_per_request * r_day == pytest.approx(one.cost_per_day, rel=1e-9)
    # the replica's figure leaves out peak headroom and whole replicas, so it is never more
    assert one.replica_cost_per_request <= one.cost_per_request
    # the per-request breakdown sums to the fleet's cost per request
    assert sum(b.cost for b in one.breakdown) == pytest.approx(one.cost_per_request, rel=1e-9)
    assert all(b.cost >= 0 for b in one.breakdown + day.breakdown)


def test_the_text_labels_both_costs_per_request() -> None:
    from engine.format import render_text

    text = render_text(run("1.17e8 P4 0.3"))
    assert "the fleet at the stated traffic" in text
    assert "replica cost per request" in text and "at utilisation 0.75, before peak headroom" in text


def test_a_fixed_fleet_too_small_for_the_traffic_is_refused_with_what_it_needs() -> None:
    with pytest.raises(GpucostError) as e:
        run("daily llama-3-70b H100 gpus=8 requests=50M")
    msg = str(e.value)
    assert "gpus=8 is too few" in msg and "292 GPUs" in msg and "requests/day" in msg


def test_a_fixed_fleet_larger_than_needed_prices_its_spare_capacity_as_headroom() -> None:
    r = run("daily llama-3-70b H100 gpus=300 requests=50M")
    assert r.gpus == 300 and r.cost_per_day == pytest.approx(300 * 24 * r.price_per_gpu_hour)
    assert all(b.quantity >= 0 for b in r.breakdown)


def test_money_is_written_as_money_not_in_e_notation() -> None:
    from engine.format import render_text
    from engine.units import fmt_money

    assert fmt_money(1.53e-5, "USD") == "$0.0000153"
    assert fmt_money(0.3, "USD") == "$0.30" and fmt_money(2.5, "CNY") == "¥2.50"
    text = render_text(run("1.17e8 P4 0.3"))
    assert "e-0" not in text.split("component")[0]
    assert "per million requests" in text
