"""Clinical models, one module per aggregate."""

from treatments.models.base import BulkWriteForbidden, ClinicalQuerySet, ClinicalRecord, StaleRecord
from treatments.models.patients import Indication, Patient, Sex

__all__ = [
    "BulkWriteForbidden",
    "ClinicalQuerySet",
    "ClinicalRecord",
    "Indication",
    "Patient",
    "Sex",
    "StaleRecord",
]
