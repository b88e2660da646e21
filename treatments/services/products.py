"""Product writes: the catalogue the lots are received against, kept in the Django admin."""

from django.db import transaction

from treatments.models import Product
from treatments.services.records import save_attributed


@transaction.atomic
def product_save(*, product: Product, user, expected_version=None, reason: str = "") -> Product:
    """Create or update a product with attribution, refusing a stale form."""
    default = "Added" if product._state.adding else "Edited"
    save_attributed(product, user=user, expected_version=expected_version, reason=reason or default)
    return product
