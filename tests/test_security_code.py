"""Source checks: no SQL built from strings and no CSRF exemptions in the project's code."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("clinic", "treatments", "faq")
SQL_CALLS = {"raw", "execute", "executemany", "RawSQL"}


def project_sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def called_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def is_literal(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def sql_problems(tree, name) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = called_name(node)
        if function == "extra":
            problems.append(f"{name}:{node.lineno}: QuerySet.extra() takes raw SQL")
        if function in SQL_CALLS and node.args and not is_literal(node.args[0]):
            # Parameters go in the second argument; the SQL itself must be a fixed string.
            problems.append(f"{name}:{node.lineno}: {function}() with SQL built at run time")
    return problems


@pytest.mark.security("raw_sql")
def test_no_sql_is_built_from_strings(security_figures):
    problems, files = [], 0
    for path, tree in project_sources():
        files += 1
        problems += sql_problems(tree, path.relative_to(ROOT))
    assert problems == []
    security_figures["source_files_scanned"] += files


@pytest.mark.security("raw_sql")
def test_the_sql_check_catches_string_building():
    tree = ast.parse(
        'cursor.execute(f"SELECT * FROM p WHERE name = {name}")\n'
        'Patient.objects.raw("SELECT * FROM p WHERE id = %s" % pk)\n'
        'cursor.execute("SELECT 1 WHERE id = %s", [pk])\n'
        "Patient.objects.extra(where=['1=1'])\n"
    )
    assert len(sql_problems(tree, "example")) == 3


@pytest.mark.security("csrf")
def test_no_view_is_exempt_from_csrf():
    problems = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in project_sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Name | ast.Attribute)
        and getattr(node, "id", getattr(node, "attr", "")) == "csrf_exempt"
    ]
    assert problems == []
