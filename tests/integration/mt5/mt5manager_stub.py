"""Read the MT5Manager wheel's type stub (`MT5Manager/_core.pyi`) into plain data.

`parse_stub(text)` returns the ManagerAPI methods (name -> list of parameter-name
tuples, one per overload), the module-level functions, and the attributes of the
record classes the gateway touches. `SIGNATURES_FILE` is that data for the wheel
the adapter was written against, checked in so the fake can be checked without
a download; `download_stub()` fetches the current wheel when the network allows.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

SIGNATURES_FILE = Path(__file__).with_name("mt5manager_signatures.json")
RECORD_CLASSES = (
    "MTUser",
    "MTAccount",
    "MTPosition",
    "MTDeal",
    "MTConGroup",
    "MTConTime",
    "MTConfirm",
    "MTRequest",
)
_DEF = re.compile(r"^    def (\w+)\(self(?:, ([^)]*))?\)")
_TOP_DEF = re.compile(r"^def (\w+)\(([^)]*)\)")
_ATTR = re.compile(r"^    ([A-Z]\w*): Any")


def _class_body(lines: list[str], name: str) -> list[str]:
    start = lines.index(f"class {name}:")
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("class ") or line.startswith("def "):
            break
        body.append(line)
    return body


def parse_stub(text: str) -> dict:
    lines = text.splitlines()
    methods: dict[str, list[list[str]]] = {}
    for line in _class_body(lines, "ManagerAPI"):
        match = _DEF.match(line)
        if match:
            params = [
                p.split(":")[0].split("=")[0].strip() for p in (match.group(2) or "").split(",") if p.strip()
            ]
            methods.setdefault(match.group(1), []).append(params)
    functions = {}
    for line in lines:
        match = _TOP_DEF.match(line)
        if match:
            functions[match.group(1)] = [
                p.split(":")[0].strip() for p in match.group(2).split(",") if p.strip()
            ]
    classes = {}
    for name in RECORD_CLASSES:
        classes[name] = sorted({m.group(1) for line in _class_body(lines, name) if (m := _ATTR.match(line))})
    return {"ManagerAPI": methods, "functions": functions, "classes": classes}


def checked_in() -> dict:
    return json.loads(SIGNATURES_FILE.read_text(encoding="utf-8"))


def download_stub(directory: Path, timeout: float = 60.0) -> str | None:
    """The stub text of the newest MT5Manager wheel for Python 3.11, or None when it cannot be had."""
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--platform",
                "win_amd64",
                "--python-version",
                "3.11",
                "--only-binary=:all:",
                "-q",
                "-d",
                str(directory),
                "MT5Manager",
            ],
            check=True,
            timeout=timeout,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    for wheel in directory.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            return archive.read("MT5Manager/_core.pyi").decode("utf-8")
    return None


if __name__ == "__main__":  # regenerate the checked-in file from a stub: python mt5manager_stub.py PATH.pyi
    data = parse_stub(Path(sys.argv[1]).read_text(encoding="utf-8"))
    data["source"] = sys.argv[2] if len(sys.argv) > 2 else "MT5Manager/_core.pyi"
    SIGNATURES_FILE.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
