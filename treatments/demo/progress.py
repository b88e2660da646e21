"""Progress bars for the demo seeding phases (tqdm, on stderr; quiet when stderr is not a terminal)."""

import sys

from tqdm import tqdm


def phase(label: str, total: int | None = None, *, unit: str = "it"):
    """A bar for one phase. ``disable=None`` turns it off when stderr is not a terminal (CI, tests,
    a log file), so nothing floods a captured output; the command prints each phase's result."""
    return tqdm(
        total=total,
        desc=f"{label:<22}",
        unit=unit,
        file=sys.stderr,
        disable=None,
        mininterval=0.5,
        dynamic_ncols=True,
        leave=True,
    )
