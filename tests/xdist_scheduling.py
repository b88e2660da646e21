"""pytest-xdist scheduling: a module with a module-scoped fixture runs on one worker.

Such a fixture builds something slow once for its module (a seeded demo clinic, a large clinic on
PostgreSQL, a gunicorn). xdist's default ``load`` schedule hands out tests one by one, so both
workers ran part of the module and each built the fixture. Under ``-n`` with the default schedule,
these modules are each one unit of work, handed out first (the largest first); every other test is
a unit of its own, in collection order, as ``load`` would hand it out.

(``--dist loadgroup`` with ``xdist_group`` marks would say the same, but pytest-xdist 3.8 renames
the test ids for it through an attribute pytest 9.2 no longer reads.)"""

import re
from functools import cache
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

MODULE_FIXTURE = re.compile(r"@pytest\.fixture\([^)]*scope=\"module\"")


@cache
def modules_with_a_module_fixture(rootdir: str) -> frozenset[str]:
    """Test ids' file parts ("tests/test_x.py") of the modules that define a module-scoped fixture."""
    root = Path(rootdir)
    return frozenset(
        path.relative_to(root).as_posix()
        for path in (root / "tests").glob("test_*.py")
        if MODULE_FIXTURE.search(path.read_text(encoding="utf-8"))
    )


class ModuleFixtureScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        if module in modules_with_a_module_fixture(str(self.config.rootpath)):
            return module
        return nodeid


def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "load":
        return None  # an explicit --dist other than load is followed as asked
    return ModuleFixtureScheduling(config, log)
