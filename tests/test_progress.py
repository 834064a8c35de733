"""Progress of the long steps: the library reports through an optional callback, which changes no
result; the stages' Progress shows a bar on a terminal and logs every tenth of the work."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from barometer.identification import identify
from barometer.progress import Progress
from barometer.survey import RescaledBootstrap, estimate, estimate_partitioned

from barometer.survey import StratifiedDesign
from test_estimators import POP, make_sample
from test_identification import small_edition


def calls() -> tuple[list, object]:
    seen = []
    return seen, lambda done, total: seen.append((done, total))


@pytest.mark.parametrize("threads", [1, 2])
def test_the_bootstrap_reports_each_block_and_gives_identical_results(threads):
    sample = make_sample()
    spec = RescaledBootstrap(replicates=1000, seed=4, block_size=150, stream=(1,), threads=threads)  # 7 blocks, last partial
    design = StratifiedDesign.from_sample(sample["h"], POP, singleton="certainty").with_replicates(spec)
    values = sample[["y", "x"]].to_numpy()
    partitions = {"dom": sample["dom"].to_numpy()}
    seen, progress = calls()
    quiet = estimate_partitioned(design, values, ["share", "mean"], partitions, keep_replicates=True)
    shown = estimate_partitioned(design, values, ["share", "mean"], partitions, keep_replicates=True, progress=progress)
    assert seen == [(k, 7) for k in range(1, 8)]
    pairs = {"var_boot": (quiet.var_boot, shown.var_boot), "replicates": (quiet.replicates, shown.replicates),
             "rest": (quiet.rest["var_boot"], shown.rest["var_boot"]),
             "difference": (quiet.difference["var_boot"], shown.difference["var_boot"])}
    for name, (a, b) in pairs.items():
        assert np.array_equal(a, b, equal_nan=True), name
    domains = np.column_stack([sample["dom"] == "A", np.ones(len(sample), bool)])
    seen, progress = calls()
    plain = estimate(design, values, domains, ["share", "mean"])
    reported = estimate(design, values, domains, ["share", "mean"], progress=progress)
    assert seen == [(k, 7) for k in range(1, 8)]
    assert np.array_equal(plain.replicates, reported.replicates)


def test_the_identification_reports_its_programmes_and_gives_identical_bounds(tmp_path):
    plain = identify(*small_edition(tmp_path)).tables(["size"], ["size"])
    seen, progress = calls()
    reported = identify(*small_edition(tmp_path)).tables(["size"], ["size"], progress=progress)
    for name in plain:
        pd.testing.assert_frame_equal(plain[name], reported[name])
    assert seen and all(1 <= done <= total for done, total in seen)
    # each batch runs to its end: every total is reached
    assert {total for _, total in seen} == {done for done, total in seen if done == total}


def test_progress_logs_every_tenth_and_starts_a_new_pass(caplog):
    with caplog.at_level(logging.INFO, logger="barometer"), Progress("bootstrap 2021", "block", bar=False) as progress:
        for done in range(1, 41):
            progress(done, 40)
        for done in range(1, 3):
            progress(done, 2)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[:10] == [f"bootstrap 2021: {4 * k}/40 blocks ({10 * k}%)" for k in range(1, 11)]
    assert lines[10:] == ["bootstrap 2021 (pass 2): 1/2 blocks (50%)", "bootstrap 2021 (pass 2): 2/2 blocks (100%)"]


def test_the_bar_is_drawn_only_on_a_terminal(monkeypatch, capsys):
    with Progress("render", "step") as progress:  # pytest's stderr is not a terminal
        progress(1, 2)
        assert progress.bar is None
    with Progress("render", "step", bar=True) as progress:
        progress(1, 2)
        assert progress.bar is not None and progress.bar.n == 1
        progress(2, 2)
    assert progress.bar is None
    assert "render" in capsys.readouterr().err
