"""Stage the project for `make mutate` in .mutation/, so that mutmut can mutate the write services.

mutmut 3 leaves every decorated function alone (it swaps each function for a trampoline and will
not copy decorators), and every write service is `@transaction.atomic`: run as it is, it would
mutate the helpers and skip the rules. The staged copy applies that one decorator after the
definition instead (`name = transaction.atomic(name)`), which is the same function at run time,
so mutmut mutates the body. Nothing else changes; the project itself is never rewritten.

Files are written only when their content changed, so mutmut's cache in .mutation/mutants/ stays
valid between runs and only changed code is tested again.

`--tests DIR ...` narrows the tests that judge the mutants (pyproject's
`pytest_add_cli_args_test_selection`) in the staged copy only, e.g. `--tests tests/services` for a
quicker run over the core services; changing it makes mutmut collect its statistics again.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
COPIED = ("registry", "api", "templates", "fixtures", "tests", "manage.py", "pyproject.toml")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}
ATOMIC = "transaction.atomic"


def undecorate_atomic(source: str) -> str:
    """Move a top-level `@transaction.atomic` onto an assignment after the function."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    # Work bottom-up so earlier line numbers stay right.
    functions = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and len(node.decorator_list) == 1
        and ast.unparse(node.decorator_list[0]) == ATOMIC
    ]
    for node in sorted(functions, key=lambda node: node.lineno, reverse=True):
        decorator = node.decorator_list[0]
        lines.insert(node.end_lineno, f"\n\n{node.name} = {ATOMIC}({node.name})\n")
        del lines[decorator.lineno - 1 : decorator.end_lineno]
    return "".join(lines)


def _write_if_changed(target: Path, content: bytes) -> None:
    if target.exists() and target.read_bytes() == content:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _sources() -> dict[Path, Path]:
    found: dict[Path, Path] = {}
    for name in COPIED:
        path = ROOT / name
        paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for source in paths:
            relative = source.relative_to(ROOT)
            if not SKIPPED_PARTS & set(relative.parts) and source.suffix != ".pyc":
                found[relative] = source
    return found


def select_tests(pyproject: str, tests: list[str]) -> str:
    """pyproject.toml with mutmut's test selection replaced by `tests`."""
    line = f"pytest_add_cli_args_test_selection = {json.dumps(tests)}"
    return re.sub(r"^pytest_add_cli_args_test_selection = .*$", line, pyproject, count=1, flags=re.MULTILINE)


def stage(tests: list[str] | None = None) -> int:
    sources = _sources()
    for relative, source in sources.items():
        content = source.read_bytes()
        if relative.parts[:2] == ("registry", "services") and relative.suffix == ".py":
            content = undecorate_atomic(content.decode("utf-8")).encode("utf-8")
        if relative == Path("pyproject.toml") and tests:
            content = select_tests(content.decode("utf-8"), tests).encode("utf-8")
        _write_if_changed(STAGE / relative, content)
    # Files removed from the project leave the stage too (mutants/ is mutmut's own).
    for name in COPIED:
        staged = STAGE / name
        paths = [staged] if staged.is_file() else list(staged.rglob("*")) if staged.exists() else []
        for path in paths:
            relative = path.relative_to(STAGE)
            if path.is_file() and relative not in sources and not SKIPPED_PARTS & set(relative.parts):
                path.unlink()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", nargs="*", help="the tests that judge the mutants (default: pyproject's)")
    sys.exit(stage(parser.parse_args().tests))
