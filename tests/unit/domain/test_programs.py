"""Program files: validation with file, field (line) and reason; the shipped examples."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from propfirm.domain.programs import (
    EXAMPLE_PROGRAMS_DIR,
    ProgramError,
    all_groups,
    load_example_programs,
    load_program_file,
    load_programs,
)

GOOD = """\
id: p1
currency: USD
account_size: "100000"
day_reset: {time: "00:00", zone: Europe/Prague}
phases:
  - name: phase1
    group: 'challenge\\phase1'
    profit_target_pct: 10
    daily_loss_pct: 5
  - name: funded
    group: 'funded\\standard'
    funded: true
"""


def refused(tmp_path, text: str, name: str = "bad.yaml") -> ProgramError:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ProgramError) as info:
        load_programs(path)
    assert str(path) in str(info.value)
    return info.value


def test_the_shipped_examples_mirror_the_market_models():
    programs = load_example_programs()
    assert set(programs) == {
        "two-step-100k",
        "one-step-100k",
        "three-step-100k",
        "instant-funding-100k",
        "futures-50k",
        "steady-two-step-100k",
    }
    two = programs["two-step-100k"]
    assert (two.account_size, two.currency, two.day_reset.time, two.day_reset.zone) == (
        Decimal(100000),
        "USD",
        "00:00",
        "Europe/Prague",
    )
    p1, p2, funded = two.phases
    assert (p1.profit_target_pct, p2.profit_target_pct) == (10, 5)
    assert all(
        p.daily_loss_pct == 5 and p.max_loss_pct == 10 and p.max_loss_mode == "static" for p in two.phases
    )
    assert funded.funded and funded.group == "funded\\standard"
    assert p1.group == "challenge\\phase1"
    assert programs["one-step-100k"].phases[0].max_loss_mode.startswith("trailing")
    assert len(programs["three-step-100k"].phases) == 4
    instant = programs["instant-funding-100k"].phases
    assert len(instant) == 1 and instant[0].funded
    assert instant[0].max_loss_mode == "trailing_eod" and instant[0].trailing_lock
    futures = programs["futures-50k"].phases
    assert futures[0].max_loss_amount == 2000 and futures[0].trailing_lock
    assert futures[0].max_loss_mode == "trailing_eod"
    assert futures[0].daily_loss_amount == 1000 and futures[0].daily_loss_action == "pause"
    assert futures[1].min_profitable_days == 5 and futures[1].profitable_day_amount == 200
    steady = programs["steady-two-step-100k"]
    assert steady.phases[0].consistency_basis == "winning_days" and steady.phases[0].qualifying_day_min_result_pct
    assert steady.abuse.hedging == "restrict" and steady.abuse.copy_trading == "flag"
    for program in programs.values():
        assert program.phases[-1].funded
    assert "challenge\\phase1" in all_groups(programs.values())
    assert all_groups(programs) == all_groups(programs.values())
    assert EXAMPLE_PROGRAMS_DIR.is_dir()


def test_a_list_under_programs_and_json_files(tmp_path):
    (tmp_path / "many.yaml").write_text(
        "programs:\n"
        + "".join(
            "  - " + GOOD.replace("id: p1", f"id: p{i}").replace("\n", "\n    ").rstrip() + "\n"
            for i in (1, 2)
        )
    )
    data = {"id": "j1", "account_size": "50000", "phases": [{"group": "g"}]}
    (tmp_path / "one.json").write_text(json.dumps(data))
    programs = load_programs(tmp_path)
    assert sorted(programs) == ["j1", "p1", "p2"]
    assert programs["j1"].phases[0].name == "phase1"  # names default by position


@pytest.mark.parametrize(
    ("text", "field", "reason_part", "line"),
    [
        (
            GOOD.replace("daily_loss_pct: 5", "daily_loss_pct: -5"),
            "phases[0].daily_loss_pct",
            "greater than 0",
            9,
        ),
        (
            GOOD.replace("daily_loss_pct: 5", "daily_los_pct: 5"),
            "phases[0].daily_los_pct",
            "unknown field",
            9,
        ),
        (GOOD.replace("Europe/Prague", "Europe/Nowhere"), "day_reset.zone", "unknown IANA time zone", 4),
        (GOOD.replace('"00:00"', '"24:00"'), "day_reset.time", "HH:MM", 4),
        (GOOD.replace('"100000"', '"lots"'), "account_size", "not a decimal number", 3),
        (GOOD.replace("    group: 'challenge\\phase1'\n", ""), "phases[0].group", "missing", 6),
        (
            GOOD.replace("    funded: true\n", "    funded: true\n  - group: extra\n"),
            "phases[1].funded",
            "only the last phase",
            12,
        ),
        (GOOD.replace("name: funded", "name: phase1"), "phases[1].name", "used twice", 10),
        (GOOD + "    max_loss_mode: sideways\n", "phases[1].max_loss_mode", "static", 13),
        (GOOD.replace("currency: USD", "currency: dollars"), "currency", "ISO 4217", 2),
    ],
)
def test_a_bad_file_is_refused_with_file_field_line_and_reason(tmp_path, text, field, reason_part, line):
    error = refused(tmp_path, text)
    assert error.field == field
    assert reason_part in error.reason
    assert error.line == line
    assert f"bad.yaml:{line}: {field}:" in str(error)


def test_unreadable_or_empty_or_broken_files(tmp_path):
    assert "empty" in refused(tmp_path, "").reason
    assert "not valid YAML" in refused(tmp_path, "id: [unclosed\n").reason
    assert "not valid JSON" in refused(tmp_path, "{", name="bad.json").reason
    with pytest.raises(ProgramError, match="no such file"):
        load_programs(tmp_path / "missing.yaml")


def test_duplicate_ids_across_a_folder_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(ProgramError, match="already defined"):
        load_programs(tmp_path)


def test_floats_in_yaml_become_exact_decimals(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(GOOD.replace("daily_loss_pct: 5", "daily_loss_pct: 2.3"))
    (program,) = load_program_file(path)
    assert program.phases[0].daily_loss_pct == Decimal("2.3")
