"""The tutorial's results: a run against every baseline (hdrisp demo, bench_tutorial), the
committed file the lessons quote, and the smoke-run banner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hdrisp.cli import main
from hdrisp.tutorial import results as tutorial_results

COMMITTED = Path(__file__).resolve().parents[1] / "notebooks" / "results" / "tutorial.json"


@pytest.fixture(scope="module")
def smoke_demo(tiny_synthetic: Path, tmp_path_factory: pytest.TempPathFactory):
    """``hdrisp demo --smoke --skip-lessons`` on the tiny set: the run, the output folder."""
    import hdrisp.synth

    base = tmp_path_factory.mktemp("demo")
    patch = pytest.MonkeyPatch()
    patch.setattr(hdrisp.synth, "ensure_default_dataset", lambda **_: tiny_synthetic)
    try:
        status = main(["demo", "--smoke", "--skip-lessons", "--out", str(base / "out"),
                       "--run", str(base / "run"), "--device", "cpu", "--precision", "fp32"])
    finally:
        patch.undo()
    assert status == 0
    return base / "run", base / "out"


def test_demo_writes_the_results_table_and_file(smoke_demo) -> None:
    run, out = smoke_demo
    results = tutorial_results.load_results(out / "results.json")
    assert results["smoke"] is True and tutorial_results.run_is_smoke(run)
    assert results["training"]["levels"] == [4, 3, 2, 1, 0]
    assert results["data"]["test_scenes"] == ["chelsea", "rocket"]
    for table in ("patches", "frames"):
        methods = results[table]["methods"]
        assert results["network"] in methods and "classical" in methods
        assert "greyworld" in methods
        assert methods["classical"]["given"] == "as-shot WB + colour matrix"
        for values in methods.values():
            assert set(values) == {*tutorial_results.METRICS, "given"}
    assert "libraw" not in results["patches"]["methods"]  # needs a camera file: noted, left out
    markdown = (out / "results.md").read_text(encoding="utf-8")
    assert "SMOKE" in markdown and markdown.count("| method |") == 2
    assert (out / "results" / "frames_metrics.md").is_file()
    # the patches are scored where lesson 04 scores them, with its metrics: the lesson reuses it
    from hdrisp.evaluation.metrics import FULL_REFERENCE

    saved = json.loads((run / "evaluation" / "report.json").read_text(encoding="utf-8"))
    assert saved["key"]["metrics"] == list(FULL_REFERENCE)
    assert (run / "evaluation" / "metrics.md").is_file()


def test_the_committed_results_have_the_format_of_a_fresh_run(smoke_demo) -> None:
    """The file lessons 03 and 04 quote (written by a full ``make demo``) has exactly the
    keys, types and rows a fresh run writes."""
    _, out = smoke_demo
    fresh = tutorial_results.load_results(out / "results.json")
    committed = tutorial_results.load_results(COMMITTED)
    assert tutorial_results.format_signature(committed) == \
        tutorial_results.format_signature(fresh)
    text = tutorial_results.expected_numbers(COMMITTED)
    net = committed["patches"]["methods"][committed["network"]]
    assert f"{net['psnr']:.2f} dB PSNR" in text and "held-out full frame" in text


def test_expected_numbers_without_a_file_says_so(tmp_path: Path) -> None:
    assert tutorial_results.expected_numbers(tmp_path / "none.json").startswith(
        "(No committed results")
    (tmp_path / "bad.json").write_text(json.dumps({"format": 99}))
    assert "not a format-1" in tutorial_results.expected_numbers(tmp_path / "bad.json")


def test_a_smoke_run_shows_a_banner_and_a_real_one_does_not(tmp_path: Path, capsys) -> None:
    smoke, real = tmp_path / "smoke", tmp_path / "real"
    for folder, flag in ((smoke, "true"), (real, "false")):
        (folder / "level4").mkdir(parents=True)
        (folder / "level4" / "config.yaml").write_text(f"name: tiny\nsmoke: {flag}\n")
    assert tutorial_results.show_run_banner(smoke) is True
    assert "SMOKE RUN" in capsys.readouterr().out
    assert tutorial_results.show_run_banner(real) is False
    assert capsys.readouterr().out == ""
    assert tutorial_results.smoke_banner(tmp_path / "nowhere") is None


def test_smoke_config_records_smoke() -> None:
    from hdrisp.training import load_config
    from hdrisp.training.config import config_to_dict
    from hdrisp.tutorial import smoke_config

    assert load_config("tiny").smoke is False
    assert config_to_dict(smoke_config(load_config("tiny")))["smoke"] is True
