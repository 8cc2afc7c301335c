import json

from propfirm.cli import main


def test_bench_runs_the_named_benchmark_and_writes_its_figures(tmp_path, capsys):
    (tmp_path / "bench_toy.py").write_text(
        "def main(argv=None):\n"
        "    quick = '--quick' in (argv or [])\n"
        "    print('toy quick' if quick else 'toy full')\n"
        "    return {'quick': quick, 'events_per_second': 123}\n"
    )
    out = tmp_path / "results.json"
    assert main(["bench", "toy", "--quick", "--dir", str(tmp_path), "--json", str(out)]) == 0
    assert "toy quick" in capsys.readouterr().out
    assert json.loads(out.read_text()) == {"toy": {"quick": True, "events_per_second": 123}}


def test_unknown_benchmark_is_refused(tmp_path, capsys):
    (tmp_path / "bench_toy.py").write_text("def main(argv=None):\n    return {}\n")
    assert main(["bench", "nope", "--dir", str(tmp_path)]) == 2
    assert "available: toy" in capsys.readouterr().err
