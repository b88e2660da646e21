"""The demo fast path's INSERT statements: two fixed statements per table, each row's values passed as
parameters (no SQL is built at run time): on PostgreSQL a ``COPY ... FROM STDIN`` fed row by row
(psycopg's ``write_row``), elsewhere an INSERT run by ``executemany``. Their columns are each model's
concrete fields in order, the history tables' the same plus simple-history's four;
``tests/test_seed_demo.py`` holds both to the models, so a new field fails a test here instead of a
seed.

Why COPY on PostgreSQL: ``executemany`` still sends and executes one INSERT per row (pipelined, but
parsed, planned and answered one by one); COPY streams the rows in one statement, the server's
fastest way in. The rows, keys and history are the same either way.

Why not ``bulk_create``: building a million rows' placeholders and adapting each value through the
ORM's insert compiler costs about ten times what the database spends on them (measured: 600 µs a
follow-up row with its history row against 60 µs here), which put ``seed_demo --patients 100000``
past half an hour.
"""

from treatments.models import Administration, FollowUp, FollowUpAttempt, Patient, SideEffectReport, Treatment


def _write_rows(copy, rows):
    # Text COPY: psycopg writes each value as PostgreSQL reads it (None as NULL, text escaped).
    for row in rows:
        copy.write_row(row)


def _insert_patient(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_patient (id, created_at, created_by_id, updated_at, version, "
            "voided_at, voided_by_id, void_reason, mrn, given_name, family_name, "
            "date_of_birth, sex, phone, email, address, consent_on_file, allergies, "
            "current_medication, takes_anti_inflammatories, notes, phone_key, mrn_number) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_patient (id, created_at, created_by_id, updated_at, version, "
            "voided_at, voided_by_id, void_reason, mrn, given_name, family_name, date_of_birth, sex, "
            "phone, email, address, consent_on_file, allergies, current_medication, "
            "takes_anti_inflammatories, notes, phone_key, mrn_number) VALUES (%s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_patient_history(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_historicalpatient (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, mrn, given_name, family_name, "
            "date_of_birth, sex, phone, email, address, consent_on_file, allergies, "
            "current_medication, takes_anti_inflammatories, notes, phone_key, mrn_number, "
            "history_date, history_change_reason, history_type, history_user_id) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_historicalpatient (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, mrn, given_name, family_name, "
            "date_of_birth, sex, phone, email, address, consent_on_file, allergies, current_medication, "
            "takes_anti_inflammatories, notes, phone_key, mrn_number, history_date, "
            "history_change_reason, history_type, history_user_id) VALUES (%s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_treatment(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_treatment (id, created_at, created_by_id, updated_at, version, "
            "voided_at, voided_by_id, void_reason, patient_id, performed_at, physician_id, "
            "indication_id, course_position, round_number, focused_ultrasound, "
            "regional_hyperthermia, consent_confirmed, anti_inflammatories_paused, "
            "product_thawed_inspected, baseline_pain, baseline_energy, notes, status, "
            "signed_at, signed_by_id, amends_id, amendment_reason) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_treatment (id, created_at, created_by_id, updated_at, version, "
            "voided_at, voided_by_id, void_reason, patient_id, performed_at, physician_id, "
            "indication_id, course_position, round_number, focused_ultrasound, regional_hyperthermia, "
            "consent_confirmed, anti_inflammatories_paused, product_thawed_inspected, baseline_pain, "
            "baseline_energy, notes, status, signed_at, signed_by_id, amends_id, amendment_reason) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_treatment_history(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_historicaltreatment (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, patient_id, performed_at, "
            "physician_id, indication_id, course_position, round_number, focused_ultrasound, "
            "regional_hyperthermia, consent_confirmed, anti_inflammatories_paused, "
            "product_thawed_inspected, baseline_pain, baseline_energy, notes, status, "
            "signed_at, signed_by_id, amends_id, amendment_reason, history_date, "
            "history_change_reason, history_type, history_user_id) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_historicaltreatment (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, patient_id, performed_at, physician_id, "
            "indication_id, course_position, round_number, focused_ultrasound, regional_hyperthermia, "
            "consent_confirmed, anti_inflammatories_paused, product_thawed_inspected, baseline_pain, "
            "baseline_energy, notes, status, signed_at, signed_by_id, amends_id, amendment_reason, "
            "history_date, history_change_reason, history_type, history_user_id) VALUES (%s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_administration(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_administration (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, treatment_id, route, site, "
            'lot_id, dose_billion, volume_ml, whole_dose_given, not_given_reason, "order") '
            "FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_administration (id, created_at, created_by_id, updated_at, version, "
            "voided_at, voided_by_id, void_reason, treatment_id, route, site, lot_id, dose_billion, "
            'volume_ml, whole_dose_given, not_given_reason, "order") VALUES (%s, %s, %s, %s, %s, %s, '
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_administration_history(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_historicaladministration (id, created_at, created_by_id, "
            "updated_at, version, voided_at, voided_by_id, void_reason, treatment_id, route, "
            "site, lot_id, dose_billion, volume_ml, whole_dose_given, not_given_reason, "
            '"order", history_date, history_change_reason, history_type, history_user_id) '
            "FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_historicaladministration (id, created_at, created_by_id, "
            "updated_at, version, voided_at, voided_by_id, void_reason, treatment_id, route, site, "
            'lot_id, dose_billion, volume_ml, whole_dose_given, not_given_reason, "order", '
            "history_date, history_change_reason, history_type, history_user_id) VALUES (%s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_followup(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_followup (id, created_at, created_by_id, updated_at, version, "
            "voided_at, voided_by_id, void_reason, treatment_id, patient_id, physician_id, step_id, "
            "step_name, kind, is_assessment, due_on, window_start, window_end, status, "
            "contact, completed_at, completed_by_id, pain, global_impression, energy, "
            "flare_up, new_side_effects, decision, home_care_protocol, status_reason, "
            "missed_seen_at, missed_seen_by_id, notes) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_followup (id, created_at, created_by_id, updated_at, version, "
            "voided_at, voided_by_id, void_reason, treatment_id, patient_id, physician_id, step_id, "
            "step_name, kind, is_assessment, due_on, window_start, window_end, status, contact, "
            "completed_at, "
            "completed_by_id, pain, global_impression, energy, flare_up, new_side_effects, decision, "
            "home_care_protocol, status_reason, missed_seen_at, missed_seen_by_id, notes) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_followup_history(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_historicalfollowup (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, treatment_id, patient_id, physician_id, "
            "step_id, step_name, kind, is_assessment, due_on, window_start, window_end, "
            "status, contact, completed_at, completed_by_id, pain, global_impression, "
            "energy, flare_up, new_side_effects, decision, home_care_protocol, "
            "status_reason, missed_seen_at, missed_seen_by_id, notes, history_date, "
            "history_change_reason, history_type, history_user_id) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_historicalfollowup (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, treatment_id, patient_id, physician_id, step_id, "
            "step_name, kind, is_assessment, due_on, window_start, window_end, status, contact, "
            "completed_at, completed_by_id, pain, global_impression, energy, flare_up, "
            "new_side_effects, decision, home_care_protocol, status_reason, missed_seen_at, "
            "missed_seen_by_id, notes, history_date, history_change_reason, history_type, history_user_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_followupattempt(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_followupattempt (id, followup_id, at, by_id, contact, outcome, notes) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_followupattempt (id, followup_id, at, by_id, contact, outcome, "
            "notes) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_followupattempt_history(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_historicalfollowupattempt (id, followup_id, at, by_id, contact, "
            "outcome, notes, history_date, history_change_reason, history_type, "
            "history_user_id) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_historicalfollowupattempt (id, followup_id, at, by_id, contact, "
            "outcome, notes, history_date, history_change_reason, history_type, history_user_id) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _insert_sideeffectreport(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_sideeffectreport (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, patient_id, treatment_id, "
            "reported_by_id, reported_at, term, term_other, onset, resolved_on, "
            "expected_resolution_by, grade, serious_death, serious_life_threatening, "
            "serious_hospitalization, serious_disability, serious_congenital_anomaly, "
            "serious_other, outcome, causality, action_taken, narrative, reviewed_at, "
            "reviewed_by_id, review_assessment, review_action) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_sideeffectreport (id, created_at, created_by_id, updated_at, "
            "version, voided_at, voided_by_id, void_reason, patient_id, treatment_id, reported_by_id, "
            "reported_at, term, term_other, onset, resolved_on, expected_resolution_by, grade, "
            "serious_death, serious_life_threatening, serious_hospitalization, serious_disability, "
            "serious_congenital_anomaly, serious_other, outcome, causality, action_taken, narrative, "
            "reviewed_at, reviewed_by_id, review_assessment, review_action) VALUES (%s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s)",
            rows,
        )


def _insert_sideeffectreport_history(cursor, rows):
    if not rows:
        return
    if cursor.db.vendor == "postgresql":
        with cursor.copy(
            "COPY treatments_historicalsideeffectreport (id, created_at, created_by_id, "
            "updated_at, version, voided_at, voided_by_id, void_reason, patient_id, "
            "treatment_id, reported_by_id, reported_at, term, term_other, onset, "
            "resolved_on, expected_resolution_by, grade, serious_death, "
            "serious_life_threatening, serious_hospitalization, serious_disability, "
            "serious_congenital_anomaly, serious_other, outcome, causality, action_taken, "
            "narrative, reviewed_at, reviewed_by_id, review_assessment, review_action, "
            "history_date, history_change_reason, history_type, history_user_id) FROM STDIN"
        ) as copy:
            _write_rows(copy, rows)
    else:
        cursor.executemany(
            "INSERT INTO treatments_historicalsideeffectreport (id, created_at, created_by_id, "
            "updated_at, version, voided_at, voided_by_id, void_reason, patient_id, treatment_id, "
            "reported_by_id, reported_at, term, term_other, onset, resolved_on, expected_resolution_by, "
            "grade, serious_death, serious_life_threatening, serious_hospitalization, "
            "serious_disability, serious_congenital_anomaly, serious_other, outcome, causality, "
            "action_taken, narrative, reviewed_at, reviewed_by_id, review_assessment, review_action, "
            "history_date, history_change_reason, history_type, history_user_id) VALUES (%s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


# model: (insert its rows, insert its history rows)
INSERTS = {
    Patient: (_insert_patient, _insert_patient_history),
    Treatment: (_insert_treatment, _insert_treatment_history),
    Administration: (_insert_administration, _insert_administration_history),
    FollowUp: (_insert_followup, _insert_followup_history),
    FollowUpAttempt: (_insert_followupattempt, _insert_followupattempt_history),
    SideEffectReport: (_insert_sideeffectreport, _insert_sideeffectreport_history),
}


def allocate_ids(cursor, model, count: int) -> list[int]:
    """``count`` new primary keys for ``model``'s table, taken before the insert so that related rows
    (administrations of a treatment, attempts of a follow-up) can point at them in the same batch."""
    if cursor.db.vendor == "postgresql":
        # Reserved from the table's own identity sequence: never handed out again.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]
    # SQLite: above the highest key (a demo database has one writer; an AUTOINCREMENT table moves its
    # sequence past explicit keys by itself).
    last = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() or 0
    return list(range(last + 1, last + 1 + count))
