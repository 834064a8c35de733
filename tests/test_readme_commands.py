"""Every command of the README's ```sh blocks runs exactly as written, in a copy of the repository
with `.venv/` in place as `make` builds it, or is listed below as not runnable here, with the reason.
A command added to the README without a test makes test_every_readme_command_is_run_or_listed fail.
The README's R recipe runs as written with R from Debian and gives the workflow's standard error."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, copy_repository

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
ENVIRONMENT = Path(sys.executable).parent.parent  # the environment `make` built; the copies link to it


def fenced_blocks(text: str, language: str) -> list[str]:
    """The contents of the ```<language> blocks, indented ones (in list items) included, dedented."""
    blocks = []
    for match in re.finditer(rf"^( *)```{language}\n(.*?)^\1```", text, re.S | re.M):
        indent = len(match.group(1))
        blocks.append("".join(line[indent:] for line in match.group(2).splitlines(keepends=True)))
    return blocks


def strip_comment(line: str) -> str:
    """The line without a trailing `# comment` (a # outside quotes, after a blank)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def sh_commands(text: str = README) -> list[str]:
    """Every command of the ```sh blocks, in order: comments dropped, continuation lines joined and
    spaces collapsed; a here-document stays one command with its lines."""
    commands = []
    for block in fenced_blocks(text, "sh"):
        lines = block.splitlines()
        while lines:
            line = strip_comment(lines.pop(0))
            while line.endswith("\\") and lines:
                line = line[:-1] + " " + strip_comment(lines.pop(0))
            if not line.strip():
                continue
            heredoc = re.search(r"<<-?'?(\w+)'?", line)
            if heredoc:
                body = []
                while lines and lines[0] != heredoc.group(1):
                    body.append(lines.pop(0))
                commands.append("\n".join([line, *body, lines.pop(0) if lines else ""]))
            else:
                commands.append(" ".join(line.split()))
    return commands


REAL_DATA_CONFIG = """cat > my-data.yaml <<'YAML'
editions:
  2021:
    microdata: /secure/ai_barometer_2021_export.csv
YAML"""

NOT_RUNNABLE = {
    "make test": "runs this test suite, which cannot run itself: CI runs it (.ci/run), and "
                 "test_make_test_installs_the_debian_packages_and_runs_pytest checks what it does",
    REAL_DATA_CONFIG: "points the workflow at the confidential 2021 export, which is not here; "
                      "tests/test_workflow.py::test_the_real_data_path_runs_from_a_configfile_and_needs_a_secret_salt "
                      "runs the same override with a supplied export",
    "export BAROMETER_SALT='a long secret nobody else has'": "the salt of the same real-data run",
    ".venv/bin/snakemake --cores all --rerun-incomplete --configfile my-data.yaml": "the same real-data run",
    "BAROMETER_SALT=... .venv/bin/snakemake --cores all --configfile my-edition.yaml":
        "needs the reader's my-edition.yaml and the new edition's export; tests/test_editions.py takes the same "
        "steps with the fixture edition tests/fixtures/edition_2099",
    "make slurm": "needs a Slurm cluster; make test-slurm (CI) starts one on the machine and "
                  "tests/test_slurm.py::test_the_workflow_on_slurm_gives_the_bytes_of_the_local_run runs `make slurm` on it",
    ".ci/slurm-cluster.sh start && make slurm; .ci/slurm-cluster.sh stop":
        "the same one-node cluster make test-slurm starts (installs slurm-wlm and munge with root rights); "
        "tests/test_slurm.py runs make slurm on it",
}


# ---- running a command as written ------------------------------------------------------------------

def with_environment(repo: Path) -> Path:
    """`.venv/` in a copy of the repository as `make` leaves it, without reinstalling: links to the
    environment running these tests and a fresh stamp, so that make sees it up to date (remaking the
    stamp would re-point the environment's editable install at the copy)."""
    venv = repo / ".venv"
    venv.mkdir()
    for name in ("bin", "lib", "pyvenv.cfg"):
        if (ENVIRONMENT / name).exists():
            (venv / name).symlink_to(ENVIRONMENT / name)
    (venv / ".installed").touch()
    return repo


def run_as_written(command: str, repo: Path, timeout: int = 1800, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command through bash in the copy, as a reader types it; the package is the copy's."""
    environment = {k: v for k, v in os.environ.items() if k not in ("BAROMETER_SALT", "MAKEFLAGS", "MAKELEVEL")}
    environment.update({"PYTHONPATH": str(repo / "workflow" / "src"), "PYTHONWARNINGS": "ignore", **(env or {})})
    return subprocess.run(["bash", "-c", command], cwd=repo, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def succeeded(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"{result.args[-1]} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@dataclass(frozen=True)
class Check:
    """Where a command runs ('fresh': a copy of the repository; 'completed': a copy of a complete run)
    and what it must do there."""

    where: str
    check: Callable[[Path, subprocess.CompletedProcess], None]
    before: Callable[[Path], None] | None = None


def check_make(repo: Path, result: subprocess.CompletedProcess) -> None:
    succeeded(result)
    assert (repo / "results/report/barometer.html").stat().st_size > 1_000_000
    manifest = (repo / "results/manifest.csv").read_text(encoding="utf-8")
    assert "results/report/barometer.html" in manifest and "results/2021/estimates/estimates.csv" in manifest
    # one line per job, naming its rule and what it does, and the progress; not Snakemake's job blocks
    output = result.stdout + result.stderr
    assert not re.search(r"^\s+(input|output|reason|jobid):", output, re.M), "Snakemake's job blocks are printed"
    assert "SNAKEMAKE\n=========" not in output
    stats = re.search(r"Job stats:\n.*?\n-+ +-+\n(.*?)\ntotal +(\d+)", output, re.S)
    ran = {line.split()[0] for line in stats.group(1).splitlines()}
    announced = set(re.findall(r"^Job \d+: (\w+)", output, re.M))
    assert announced == ran and {"clean", "bootstrap_estimates", "figure", "report"} <= ran
    assert re.search(r"^Job \d+: bootstrap_estimates 2021: 10000 bootstrap replicates", output, re.M)
    assert f"{stats.group(2)} of {stats.group(2)} steps (100%) done" in output
    again = succeeded(run_as_written("make", repo, timeout=600))
    assert "Nothing to be done" in again.stdout + again.stderr


def check_help(repo: Path, result: subprocess.CompletedProcess) -> None:
    listed = dict(line.split(None, 1) for line in succeeded(result).stdout.splitlines())
    documented = re.findall(r"^([a-z-]+):.*## ", MAKEFILE, re.M)
    assert list(listed) == documented and len(documented) >= 10
    # every `make <target>` the README names, in a command or in the text, is a listed target
    named = set(re.findall(r"`make ([a-z-]+)", README)) | {c.split()[1] for c in sh_commands() if c.startswith("make ")}
    assert named <= set(listed), named - set(listed)


def check_cli(repo: Path, result: subprocess.CompletedProcess) -> None:
    succeeded(result)
    out = pd.read_csv(repo / "out.csv").set_index(["variable", "domain"])
    assert len(out) == 3 * 5  # 3 variables x (all + 4 sectors)
    # closed forms from the example files: the stratified estimator sum_h N_h ybar_h / N and its Taylor
    # variance sum_h (N_h / N)^2 (1 - f_h) s_h^2 / n_h (every unit answers adopter and uses_rpa)
    survey = pd.read_csv(repo / "examples" / "survey.csv")
    N = pd.read_csv(repo / "examples" / "population.csv").set_index("stratum")["N"]
    for variable in ("adopter", "uses_rpa"):
        g = survey.groupby("stratum")[variable]
        n_h, mean_h, var_h = g.size(), g.mean(), g.var(ddof=1)
        share = (N * mean_h).sum() / N.sum()
        variance = ((N / N.sum()) ** 2 * (1 - n_h / N) * var_h / n_h).sum()
        assert out.at[(variable, "all"), "estimate"] == pytest.approx(share, rel=1e-9)
        assert out.at[(variable, "all"), "se_taylor"] == pytest.approx(np.sqrt(variance), rel=1e-9)
        assert out.at[(variable, "all"), "n"] == 100 and out.at[(variable, "all"), "df"] == 100 - 12
    # cost_reduction_pct is asked of adopters only: a ratio over the answers, sum w y / sum w
    answered = survey.dropna(subset=["cost_reduction_pct"])
    w = N[answered["stratum"]].to_numpy() / survey.groupby("stratum").size()[answered["stratum"]].to_numpy()
    mean = (w * answered["cost_reduction_pct"]).sum() / w.sum()
    assert out.at[("cost_reduction_pct", "all"), "estimate"] == pytest.approx(mean, rel=1e-9)
    assert out.at[("cost_reduction_pct", "all"), "n"] == len(answered)
    # the seeded bootstrap agrees with the closed form within its Monte-Carlo error (B = 2,000: ~1.6%)
    assert out.at[("adopter", "all"), "se"] == pytest.approx(out.at[("adopter", "all"), "se_taylor"], rel=0.06)


def check_provenance(repo: Path, result: subprocess.CompletedProcess) -> None:
    succeeded(result)
    report = repo / "results/report/provenance.html"
    assert report.stat().st_size > 1_000_000
    html = report.read_text(encoding="utf-8", errors="ignore")
    for caption in ("Consistency checks of the published figures", "rescaled bootstrap with finite population correction"):
        assert caption in html


def check_verify(repo: Path, result: subprocess.CompletedProcess) -> None:
    succeeded(result)
    rows = len(pd.read_csv(repo / "results/manifest.csv"))
    assert rows > 70
    # and it does see a changed output
    target = repo / "results/2021/weights/diagnostics.csv"
    original, stat = target.read_bytes(), target.stat()
    target.write_bytes(original + b"\n")
    changed = run_as_written("make verify", repo, timeout=600)
    target.write_bytes(original)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as it was, for the commands after this one
    assert changed.returncode != 0 and "results/2021/weights/diagnostics.csv" in changed.stdout + changed.stderr


def check_summary(repo: Path, result: subprocess.CompletedProcess) -> None:
    table = pd.read_csv(io.StringIO(succeeded(result).stdout), sep="\t")
    assert list(table.columns[:5]) == ["output_file", "date", "rule", "log-file(s)", "status"]
    assert "results/2021/estimates/estimates.csv" in set(table["output_file"])
    assert set(table["status"]) == {"ok"} and set(table["plan"]) == {"no update"}


def check_rulegraph(repo: Path, result: subprocess.CompletedProcess) -> None:
    succeeded(result)
    graph = (repo / "rulegraph.dot").read_text(encoding="utf-8")
    assert graph.startswith("digraph snakemake_dag")
    for rule in ("clean", "weight", "bootstrap_estimates", "compare_surveys", "figure", "report"):
        assert f'label = "{rule}"' in graph


def check_export(repo: Path, result: subprocess.CompletedProcess) -> None:
    succeeded(result)
    meta = json.loads((repo / "results/2021/weights/replicate_weights.csv.json").read_text())
    assert meta["replicates"] == 1000 and meta["of_replicates"] == 10000 and meta["scale"] == 1 / 1000
    columns = pd.read_csv(repo / "results/2021/weights/replicate_weights.csv", nrows=0).columns
    assert list(columns[:3]) == ["respondent", "stratum", "weight"]
    assert list(columns[3:]) == [f"rep_{b:05d}" for b in range(1, 1001)]
    # the Stata recipe names exactly these columns
    assert "bsrweight(rep_00001-rep_01000)" in README


def check_dictionary(repo: Path, result: subprocess.CompletedProcess) -> None:
    out = succeeded(result).stdout
    package = json.loads((repo / "results/datapackage.json").read_text(encoding="utf-8"))
    assert out.count("VALID") - out.count("INVALID") >= len(package["resources"]) > 100 and "INVALID" not in out


def make_a_stale_lock(repo: Path) -> None:
    """What a killed run leaves: Snakemake's lock files naming the outputs it was writing."""
    locks = repo / ".snakemake" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    (locks / "0.output.lock").write_text("results/report/barometer.html\n")
    locked = run_as_written("make", repo, timeout=600)
    assert locked.returncode != 0 and "Directory cannot be locked" in locked.stdout + locked.stderr


def check_unlock(repo: Path, result: subprocess.CompletedProcess) -> None:
    succeeded(result)
    assert not list((repo / ".snakemake" / "locks").glob("*.lock"))
    resumed = succeeded(run_as_written("make", repo, timeout=600))
    assert "Nothing to be done" in resumed.stdout + resumed.stderr


CLI = (".venv/bin/barometer estimate examples/survey.csv --strata stratum --population examples/population.csv "
       "--vars adopter,uses_rpa,cost_reduction_pct --by sector --replicates 2000 --seed 7 --ci korn_graubard -o out.csv")
EXPORT = ".venv/bin/snakemake --cores all results/2021/weights/replicate_weights.csv"

RUNS = {
    "make": Check("fresh", check_make),
    "make help": Check("fresh", check_help),
    CLI: Check("fresh", check_cli),
    "make provenance": Check("completed", check_provenance),
    "make verify": Check("completed", check_verify),
    ".venv/bin/snakemake --summary": Check("completed", check_summary),
    ".venv/bin/snakemake --rulegraph > rulegraph.dot": Check("completed", check_rulegraph),
    EXPORT: Check("completed", check_export),
    ".venv/bin/frictionless validate results/datapackage.json": Check("completed", check_dictionary),
    "make unlock": Check("completed", check_unlock, before=make_a_stale_lock),
}
# whole-workflow runs (minutes): `make` itself, and everything that needs a completed run
SLOW = {"make"} | {command for command, check in RUNS.items() if check.where == "completed"}


def test_every_readme_command_is_run_or_listed_as_not_runnable():
    commands = sh_commands()
    untested = [c for c in commands if c not in RUNS and c not in NOT_RUNNABLE]
    assert not untested, f"README commands without a test here (add them to RUNS or NOT_RUNNABLE): {untested}"
    stale = (set(RUNS) | set(NOT_RUNNABLE)) - set(commands)
    assert not stale, f"listed here but no longer in the README: {stale}"
    assert not set(RUNS) & set(NOT_RUNNABLE)


def test_the_command_parser_sees_comments_continuations_and_heredocs():
    text = ("```sh\nmake   # set up\nfoo --a \\\n    --b  # c\n```\n\n1. step\n\n   ```sh\n   cat > x.yaml <<'YAML'\n"
            "   a: '# not a comment'\n   YAML\n   echo 'x # y' # z\n   ```\n")
    assert sh_commands(text) == ["make", "foo --a --b", "cat > x.yaml <<'YAML'\na: '# not a comment'\nYAML", "echo 'x # y'"]


def test_the_readme_opens_with_the_two_commands():
    first_block = fenced_blocks(README, "sh")[0]
    commands = [strip_comment(line) for line in first_block.splitlines() if line.strip()]
    assert commands == ["make", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_test_installs_the_debian_packages_and_runs_pytest():
    plan = subprocess.run(["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m pytest" in plan and "pip install" in plan and "-r requirements.lock" in plan
    install = next(line for line in plan.splitlines() if "apt-get install" in line)
    for package in ("r-cran-survey", "chromium", "poppler-utils"):
        assert package in install


@pytest.fixture(scope="module")
def completed(full_run, tmp_path_factory) -> Path:
    """A copy of a complete run (outputs and Snakemake's records), with `.venv/`."""
    copy = tmp_path_factory.mktemp("readme") / "repo"
    shutil.copytree(full_run, copy, symlinks=True)
    return with_environment(copy)


def readme_params(where: str) -> list:
    return [pytest.param(c, marks=[pytest.mark.slow] if c in SLOW else [], id=c[:60])
            for c in dict.fromkeys(sh_commands()) if c in RUNS and RUNS[c].where == where]


@pytest.mark.parametrize("command", readme_params("fresh"))
def test_a_readme_command_runs_as_written_in_a_fresh_copy(command, tmp_path):
    repo = with_environment(copy_repository(tmp_path / "repo"))
    run = RUNS[command]
    if run.before:
        run.before(repo)
    run.check(repo, run_as_written(command, repo))


@pytest.mark.parametrize("command", readme_params("completed"))
def test_a_readme_command_runs_as_written_after_a_complete_run(command, completed):
    run = RUNS[command]
    if run.before:
        run.before(completed)
    run.check(completed, run_as_written(command, completed))


def test_the_example_files_are_what_their_script_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    survey, population = module.build()
    assert (ROOT / "examples" / "survey.csv").read_text() == survey.to_csv(index=False, lineterminator="\n")
    assert (ROOT / "examples" / "population.csv").read_text() == population.to_csv(index=False, lineterminator="\n")
    assert survey.groupby("stratum").size().min() >= 2 and set(survey["stratum"]) == set(population["stratum"])


def test_the_makefile_passes_a_target_to_snakemake_as_a_target(tmp_path):
    """`--quiet` takes several values: a target after it would be read as one (make reconstruct)."""
    repo = with_environment(copy_repository(tmp_path / "repo"))
    plan = succeeded(run_as_written("make -n reconstruct", repo)).stdout
    command = next(line for line in plan.splitlines() if "snakemake" in line)
    assert command.split()[-1] == "reconstruct"
    result = succeeded(run_as_written(command + " --dry-run", repo, timeout=600))
    assert re.search(r"^reconstruct_microdata +1$", result.stdout, re.M)


def test_make_shows_a_failed_job_in_full(tmp_path):
    """The concise output hides no error: the failed rule, its log file and the stage's message."""
    repo = with_environment(copy_repository(tmp_path / "repo"))
    raw = repo / "data/raw/microdata/ai_barometer_2021_responses.csv"
    lines = raw.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[7].split(",")
    cells[header.index("Q4_1")] = "7"
    lines[7] = ",".join(cells)
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_as_written("make", repo, timeout=900, env={"BAROMETER_SALT": "a salt for this test"})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Error in rule clean" in output and "results/2021/logs/clean.log" in output
    assert "row 8" in output and "column 'Q4_1'" in output and "value 7 is not allowed" in output


# ---- the R recipe ----------------------------------------------------------------------------------

R_RECIPE = fenced_blocks(README, "r")


def test_the_readme_has_one_r_recipe_and_it_reads_the_csv_export():
    assert len(R_RECIPE) == 1
    assert "arrow" not in R_RECIPE[0] and "replicate_weights.csv" in R_RECIPE[0]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not found (make test installs r-cran-survey)")
def test_the_readme_r_recipe_gives_the_workflows_bootstrap_standard_error(completed):
    from barometer.config import BootstrapSettings, load_config
    from barometer.estimands import design_for, read_analysis
    from barometer.survey import RescaledBootstrap, estimate, replicate_weights

    succeeded(run_as_written(EXPORT, completed))  # the README's command (nothing to do if it has run)
    script = completed / "recipe.R"
    # the recipe as written, then its last value printed in full (R prints the SE to 2 digits)
    script.write_text(R_RECIPE[0] + 'cat(sprintf("\\nRESULT %.17g %.17g\\n", coef(.Last.value)[2], SE(.Last.value)[2]))\n')
    result = subprocess.run(["Rscript", "--vanilla", str(script)], cwd=completed, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = re.search(r"I\(tech_rpa == 1\)TRUE\s+([0-9.]+)\s+([0-9.]+)", result.stdout)
    r_share, r_se = map(float, re.search(r"RESULT (\S+) (\S+)", result.stdout).groups())

    # the package, from the same replicates: the first 1,000 of the estimation's seeded blocks
    config = load_config(completed / "config/config.yaml")
    settings = BootstrapSettings.from_config(config["bootstrap"])
    paths = [completed / p for p in ("results/2021/clean/respondents.csv", "results/2021/weights/weights.csv",
                                     "config/editions/2021/codebook.yaml", "config/editions/2021/strata.yaml")]
    _, _, frame = read_analysis(*map(str, paths))
    design = design_for(frame, settings)
    estimation = settings.method(config["seed"], (2021,))
    assert estimation.replicates == 10000 and settings.export_replicates == 1000
    first = design.with_replicates(RescaledBootstrap(replicates=1000, seed=estimation.seed, block_size=estimation.block_size,
                                                     stream=estimation.stream, centre=estimation.centre))
    exported = pd.read_csv(completed / "results/2021/weights/replicate_weights.csv").set_index("respondent")
    weights = exported.loc[frame["respondent"]].filter(like="rep_").to_numpy()
    # the export holds the estimation's first 1,000 replicates (to the CSV's 10 significant digits)
    np.testing.assert_allclose(weights, replicate_weights(design.with_replicates(estimation), first=1000), rtol=1e-9)
    np.testing.assert_allclose(weights, replicate_weights(first), rtol=1e-9)
    y = (frame["tech_rpa"] == 1).to_numpy(float)
    est = estimate(first, y, np.ones(len(frame), bool), "share")
    assert r_share == pytest.approx(est.estimate[0], rel=1e-9)
    assert float(printed.group(1)) == pytest.approx(est.estimate[0], abs=5e-7)  # what the reader sees
    # R's SE is the package's bootstrap SE from these replicates: exactly from the exported file, and to
    # its 10 digits from the estimation's own replicates
    theta = weights.T @ y / weights.sum(axis=0)
    assert r_se == pytest.approx(np.sqrt(first.replicates.variance(theta[:, None], est.estimate)[0]), rel=1e-12)
    assert r_se == pytest.approx(np.sqrt(est.var_boot[0]), rel=1e-7)
