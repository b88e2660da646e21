"""Demo products and lots in every state the lot pages show: plenty, expiring, expired, quarantine,
recalled (after use) and depleted (used up). Created through the lot service."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from clinic.audit import attribute
from treatments.models import Lot, LotStatus, Product, ProductKind, ProductSource
from treatments.services.lots import lot_save

STANDARD = "Placental MSC exosomes (standard)"
INDIVIDUALIZED = "Individualized exosomes"


def _product(name, *, kind, user, notes) -> Product:
    product = Product.objects.filter(name=name).first()
    if product is None:
        product = Product(
            name=name,
            manufacturer="Kimera Laboratories",
            source=ProductSource.PLACENTAL_MSC,
            kind=kind,
            notes=notes,
            created_by=user,
        )
        attribute(product, user=user, reason="Demo data")
        product.full_clean()
        product.save()
    return product


# Lots whose quantity grows with the demo's size (the others stay small on purpose).
GROWING = ("main", "recent", "expired", "to_recall", "individualized")


def seed_lots(*, user, patients: int, progress=None) -> dict[str, Lot]:
    """The demo lots by role ("main", "recent", "expired", "quarantine", "to_recall", "to_deplete",
    "individualized"). Lots already there are kept; quantities grow with the demo's size (a larger
    rerun records, through the lot service, that more of a released lot was received)."""
    today = timezone.localdate()
    standard = _product(
        STANDARD,
        kind=ProductKind.STANDARD,
        user=user,
        notes="GMP-grade placental mesenchymal stem cells; sterile-filtered and tested per batch.",
    )
    individualized = _product(
        INDIVIDUALIZED,
        kind=ProductKind.INDIVIDUALIZED,
        user=user,
        notes="Laboratory exosomes combined with markers from the patient's own tissue.",
    )
    # Grows with the demo, up to the most a lot row holds (quantity_received_ml: 6 digits of ml).
    plenty = min(Decimal(max(3000, patients * 30)), Decimal("999000"))
    specs = {
        # role: (product, lot number, received days ago, expires in days, ml, concentration, status)
        "main": (standard, "KL-DEMO-01", 430, 400, plenty, "1", LotStatus.RELEASED),
        "recent": (standard, "KL-DEMO-02", 200, 20, plenty / 2, "1", LotStatus.RELEASED),
        "expired": (standard, "KL-DEMO-00", 500, -60, plenty / 2, "1", LotStatus.RELEASED),
        "quarantine": (standard, "KL-DEMO-04", 5, 365, Decimal("300"), "1", LotStatus.QUARANTINE),
        "to_recall": (standard, "KL-DEMO-03", 300, 300, plenty / 5, "1", LotStatus.RELEASED),
        "to_deplete": (standard, "KL-DEMO-05", 380, 100, Decimal("20"), "1", LotStatus.RELEASED),
        "individualized": (individualized, "IND-DEMO-01", 150, 200, plenty / 10, "2", LotStatus.RELEASED),
    }
    lots = {}
    for role, (product, number, received, expires, ml, concentration, status) in specs.items():
        lot = Lot.objects.filter(product=product, lot_number=number).first()
        if lot is None:
            lot = Lot(
                product=product,
                lot_number=number,
                manufacturer="Kimera Laboratories",
                received_on=today - dt.timedelta(days=received),
                expires_on=today + dt.timedelta(days=expires),
                concentration=Decimal(concentration),
                quantity_received_ml=ml,
                storage_location="Freezer 1, rack " + number[-1],
                storage_temperature_c=Decimal("-80"),
                status=status,
                certificate_of_analysis=f"CoA-{number}",
            )
            lot_save(lot=lot, user=user, reason="Demo data")
        elif role in GROWING and lot.status == LotStatus.RELEASED and lot.quantity_received_ml < ml:
            lot.quantity_received_ml = ml
            lot_save(lot=lot, user=user, reason="Demo data: more received for a larger demo")
        lots[role] = lot
        if progress:
            progress(1)
    return lots
