"""``supplyrisk score`` on good and bad input, in-process and as the installed script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from jsonschema import Draft202012Validator

import stream
from stream.cli import main
from tests.unit.edge.conftest import LICENCE, NEWS, PROFILE, SHIPMENT, event

ROOT = Path(__file__).parents[3]
SCORE_SCHEMA = json.loads((Path(stream.__file__).parent / "schemas" / "score.json").read_text())


def write_events(path: Path, *rows: dict[str, object] | bytes) -> Path:
    path.write_bytes(
        b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in rows)
    )
    return path


def test_scores_one_line_per_key_sorted_by_score(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write_events(
        tmp_path / "in.jsonl",
        SHIPMENT,
        LICENCE,
        NEWS,
        PROFILE,
        event("shipment", event_id="s-2", company="Sanuki Rare Metals", origin_country="AU"),
        SHIPMENT,  # a duplicate delivery
    )
    out = tmp_path / "scores.jsonl"
    assert main(["score", "--events", str(events), "--out", str(out), "--batch-size", "2"]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    keys = {(r["company"], r["material"]) for r in records}
    assert keys == {
        ("Hoshino Magnetics", "Dy"),
        ("Hoshino Magnetics", "Tb"),
        ("Sanuki Rare Metals", "Dy"),
    }
    assert len(records) == len(keys)
    for record in records:
        Draft202012Validator(SCORE_SCHEMA).validate(record)
    ranks = [(-r["score"], r["company"], r["material"]) for r in records]
    assert ranks == sorted(ranks)
    assert {r["as_of"] for r in records} == {"2026-01-08T09:30:00Z"}
    err = capsys.readouterr().err
    assert "scored 3 keys from 6 events; 0 rejected; 1 duplicates" in err


def test_as_of_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write_events(tmp_path / "in.jsonl", SHIPMENT)
    assert main(["score", "--events", str(events), "--as-of", "2026-02-01T00:00:00Z"]) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()
    assert json.loads(line)["as_of"] == "2026-02-01T00:00:00Z"


def test_bad_lines_are_reported_with_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write_events(
        tmp_path / "in.jsonl",
        SHIPMENT,
        b"{broken",
        b"",
        event("shipment", event_id="s-3", status="lost"),
        event("shipment", event_id="s-4", material="Xx"),  # refused by the engine
    )
    out = tmp_path / "scores.jsonl"
    assert main(["score", "--events", str(events), "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("line 2: not JSON: ")
    assert err[1].startswith("line 4: status must be one of")
    assert err[2].startswith("line 5: ")
    assert "Xx" in err[2]
    assert err[-1] == "scored 1 keys from 4 events; 3 rejected; 0 duplicates"
    assert len(out.read_text().splitlines()) == 1


def test_no_valid_line_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write_events(tmp_path / "in.jsonl", b"nope", b"[]")
    assert main(["score", "--events", str(events)]) == 1
    assert "0 keys from 2 events; 2 rejected" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "missing.jsonl"], "cannot read events file 'missing.jsonl'"),
        (["--events", "{events}", "--as-of", "soon"], "--as-of is not an RFC 3339 time"),
        (["--events", "{events}", "--config", "no-such-dir"], "config directory not found"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    events = write_events(tmp_path / "in.jsonl", SHIPMENT)
    argv = ["score", *(a.replace("{events}", str(events)) for a in args)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_bad_batch_size_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["score", "--events", "x.jsonl", "--batch-size", "0"])
    assert info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_installed_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("supplyrisk")
    if not script.exists():
        found = shutil.which("supplyrisk")
        assert found is not None, "the supplyrisk console script is not installed"
        script = Path(found)
    events = write_events(tmp_path / "in.jsonl", SHIPMENT, PROFILE)
    done = subprocess.run(
        [str(script), "score", "--events", str(events)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert "scored 1 keys from 2 events" in done.stderr


def test_scenario_regenerates_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "scenario.jsonl"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scenarios" / "generate.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (ROOT / "scenarios" / "rare-earths-2025-2026.jsonl").read_bytes()


def test_scenario_scores_every_key_without_rejections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.jsonl"
    scenario = ROOT / "scenarios" / "rare-earths-2025-2026.jsonl"
    assert main(["score", "--events", str(scenario), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    roster = (ROOT / "scenarios" / "data" / "roster.csv").read_text().splitlines()
    keys = {tuple(line.split(",")[i] for i in (0, 3)) for line in roster[6:]}
    assert {(r["company"], r["material"]) for r in records} == keys
    assert " 0 rejected; 0 duplicates" in capsys.readouterr().err


def test_blank_lines_are_skipped_not_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write_events(tmp_path / "in.jsonl", SHIPMENT, b"", b"  \t", LICENCE, b"{broken")
    assert main(["score", "--events", str(events), "--out", str(tmp_path / "o.jsonl")]) == 0
    err = capsys.readouterr().err
    reported = [line for line in err.splitlines() if line.startswith("line ")]
    assert len(reported) == 1
    assert reported[0].startswith("line 5: not JSON")
    assert "from 3 events; 1 rejected" in err
    assert main(["score", "--events", str(write_events(tmp_path / "b.jsonl", SHIPMENT, b""))]) == 0
    assert "from 1 events; 0 rejected" in capsys.readouterr().err
