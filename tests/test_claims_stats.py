"""archscope.claims.stats against published tables and worked examples, and
its rules (the rounding slack, n < 2, the orderings) on constructed data whose
answer is known."""

import math

import pytest

from archscope.claims import stats as S

# ---- Student's t ------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, printed", [(2, 12.706), (3, 4.303), (5, 2.776), (10, 2.262)])
def test_t_quantiles_are_the_printed_table(n, printed):
    # NIST/SEMATECH e-Handbook of Statistical Methods, Sec. 1.3.6.7.2 "Critical Values of the Student's t
    # Distribution", the 0.025 upper-tail column (a two-sided 95% interval), rows nu = n - 1 = 1, 2, 4, 9
    assert round(S.t_quantile(0.975, n - 1), 3) == printed


def test_the_old_two_sigma_rule_was_far_too_narrow_for_three_seeds():
    # the figures: t for n = 3 is 4.30 and for n = 5 2.78, not 2
    assert S.t_quantile(0.975, 2) > 2 * 2 and S.t_quantile(0.975, 4) > 2.7


# ---- the prediction interval -------------------------------------------------------------------------

def test_prediction_interval_worked_example():
    # Montgomery & Runger, Applied Statistics and Probability for Engineers, 3rd ed. (2003), Sec. 8-6, Example 8-8
    # (Eq. 8-29): n = 22 specimens, x̄ = 13.71, s = 3.55; t(0.025, 21) = 2.080; a 95% prediction interval on the
    # 23rd specimen is 6.16 <= X23 <= 21.26
    iv = S.interval_from(13.71, 3.55, 22, k=1)
    assert round(iv.t, 3) == 2.080
    assert (round(iv.lo, 2), round(iv.hi, 2)) == (6.16, 21.26)


def test_prediction_interval_for_a_mean_of_k_runs():
    # The same sample, for the mean of k = 10 future runs (Meeker, Hahn & Escobar, Statistical Intervals, 2nd ed.,
    # ch. 4: x̄ ± t(0.975, n-1) s sqrt(1/n + 1/m)), by hand: sqrt(1/22 + 1/10) = sqrt(0.1454545) = 0.381385;
    # 2.079614 x 3.55 x 0.381385 = 2.81562; 13.71 -+ 2.81562 = 10.89438 .. 16.52562
    iv = S.interval_from(13.71, 3.55, 22, k=10)
    assert iv.half == pytest.approx(2.81562, abs=2e-5)
    assert (iv.lo, iv.hi) == (pytest.approx(10.89438, abs=2e-5), pytest.approx(16.52562, abs=2e-5))


def test_prediction_interval_from_values():
    # 0.80, 0.81, 0.82: mean 0.81, s = 0.01 (by hand: sqrt((0.01^2 + 0 + 0.01^2) / 2)); k = 1:
    # half = 4.302653 x 0.01 x sqrt(1/3 + 1) = 0.0496828
    iv = S.prediction_interval([0.80, 0.81, 0.82], k=1)
    assert (iv.n, iv.k) == (3, 1) and iv.mean == pytest.approx(0.81) and iv.std == pytest.approx(0.01)
    assert iv.half == pytest.approx(0.0496828, abs=1e-7)


# ---- the figure rule ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("claimed, outcome", [(0.8596, S.HOLDS), (0.8597, S.DOES_NOT_HOLD), (0.7604, S.HOLDS),
                                              (0.7603, S.DOES_NOT_HOLD)])
def test_figure_holds_inside_the_interval(claimed, outcome):
    # the interval above: 0.81 -+ 0.0496828 = 0.7603172 .. 0.8596828
    assert S.judge_figure([0.80, 0.81, 0.82], claimed, k=1).outcome == outcome


def test_rounding_rule_half_a_unit_of_the_last_printed_digit():
    # nine seeds agreeing to 1e-5: the interval is +-1.2e-5 wide, narrower than the printed figure's rounding.
    # A figure printed to 3 decimals holds within 0.0005 of the mean, and not beyond
    vals = [0.81000, 0.81001, 0.80999, 0.81000, 0.81001, 0.80999, 0.81000, 0.81001, 0.80999]
    assert S.prediction_interval(vals).half < 1e-4
    slack = S.printed_slack(3)
    assert slack == 0.0005
    assert S.judge_figure(vals, 0.8105, k=10, slack=slack).outcome == S.HOLDS
    assert S.judge_figure(vals, 0.8095, k=10, slack=slack).outcome == S.HOLDS
    assert S.judge_figure(vals, 0.8106, k=10, slack=slack).outcome == S.DOES_NOT_HOLD


@pytest.mark.parametrize("values", [[0.81], []])
def test_fewer_than_two_seeds_is_not_determined(values):
    v = S.judge_figure(values, 0.81, k=1, slack=0.0005)
    assert v.outcome == S.NOT_DETERMINED and v.interval is None and "at least 2" in v.why


def test_at_least_greater_less_and_range_read_the_same_interval():
    vals = [0.80, 0.81, 0.82]  # 0.7603 .. 0.8597 (k = 1)
    assert S.judge_figure(vals, 0.85, compare="at_least").outcome == S.HOLDS
    assert S.judge_figure(vals, 0.86, compare="at_least").outcome == S.DOES_NOT_HOLD
    assert S.judge_figure(vals, 0.86, compare="at_least", slack=0.001).outcome == S.HOLDS
    assert S.judge_figure(vals, 0.85, compare="greater").outcome == S.HOLDS
    assert S.judge_figure(vals, 0.76, compare="less").outcome == S.DOES_NOT_HOLD
    assert S.judge_figure(vals, 0.77, compare="less").outcome == S.HOLDS
    assert S.judge_figure(vals, (0.85, 0.9), compare="range").outcome == S.HOLDS
    assert S.judge_figure(vals, (0.87, 0.9), compare="range").outcome == S.DOES_NOT_HOLD


# ---- orderings -----------------------------------------------------------------------------------------------

def test_welch_against_a_hand_computation():
    # a = 0.90, 0.91, 0.92 (mean 0.91, var 1e-4); b = 0.80, 0.82, 0.84 (mean 0.82, var 4e-4):
    # se^2 = 1e-4/3 + 4e-4/3 = 1.66667e-4, t = 0.09 / 0.0129099 = 6.97137;
    # Welch–Satterthwaite df = (5e-4/3)^2 / ((1e-4/3)^2/2 + (4e-4/3)^2/2) = 2.77778e-8 / 9.44444e-9 = 2.94118
    t, df, p = S.welch([0.90, 0.91, 0.92], [0.80, 0.82, 0.84])
    assert t == pytest.approx(6.97137, abs=1e-4) and df == pytest.approx(2.94118, abs=1e-4)
    assert 0 < p < 0.05


def test_ordering_three_outcomes_on_constructed_data():
    better, worse = [0.90, 0.91, 0.92], [0.80, 0.81, 0.82]
    assert S.compare_means(better, worse).outcome == S.HOLDS  # t = 12.2, df 4: p = 0.0003
    assert S.compare_means(worse, better).outcome == S.DOES_NOT_HOLD
    c = S.compare_means([0.80, 0.82, 0.84], [0.81, 0.82, 0.83])  # equal means: nothing to tell
    assert c.outcome == S.NOT_DETERMINED and c.p > 0.05
    # 1.5 standard errors apart (the kernel-size case): not determined at alpha 0.05
    c = S.compare_means([0.800, 0.808, 0.792], [0.7927, 0.7952, 0.7902])
    assert c.outcome == S.NOT_DETERMINED
    assert S.compare_means([0.9], [0.8, 0.81]).outcome == S.NOT_DETERMINED  # one seed: no spread


def test_no_spread_at_all_is_decided_only_by_the_means():
    assert S.compare_means([0.9, 0.9], [0.8, 0.8]).outcome == S.HOLDS
    assert S.compare_means([0.8, 0.8], [0.8, 0.8]).outcome == S.NOT_DETERMINED


# ---- convergence on curves -------------------------------------------------------------------------------------

def test_epochs_to_reach_interpolates_between_epochs():
    h = [{"epoch": 1, "test_accuracy": 0.70}, {"epoch": 2, "test_accuracy": 0.80}, {"epoch": 3, "test_accuracy": 0.85}]
    # 0.75 lies halfway between epochs 1 and 2; 0.82 two fifths of the way from 2 to 3
    assert S.epochs_to_reach(h, 0.75) == pytest.approx(1.5)
    assert S.epochs_to_reach(h, 0.82) == pytest.approx(2.4)
    assert S.epochs_to_reach(h, 0.60) == 1  # there by the first recorded epoch
    assert S.epochs_to_reach(h, 0.90) is None
    assert S.epochs_to_reach([{"epoch": 1, "test_accuracy": math.nan}], 0.5) is None
