"""A new clinic's FAQ: the 20 entries of its own FAQ file (faq/seed/clinic-faq.txt).

Loaded after ``migrate`` (and ``flush``) by a ``post_migrate`` handler, with the live models, and only
into an empty FAQ: what clinic admins have written or edited since is never touched.
"""

from pathlib import Path

from django.db import transaction

from faq.importing import load_entries
from faq.parsing import decode_faq, parse_faq

SEED = Path(__file__).resolve().parent / "seed" / "clinic-faq.txt"
REASON = "Loaded from the clinic's FAQ"


def seed_clinic_faq(*, using: str = "default", apps=None, **signal_kwargs) -> None:
    """post_migrate handler. Skipped while the FAQ tables do not exist (``migrate faq zero``)."""
    if apps is not None:
        try:
            apps.get_model("faq", "Entry")
        except LookupError:
            return
    from faq.models import Entry

    if Entry._base_manager.using(using).exists():
        return
    parsed = parse_faq(decode_faq(SEED.read_bytes()))
    with transaction.atomic(using=using):
        load_entries(parsed, update_answers=False, reason=REASON)
