"""Prefect 3 flows: orchestration only. Each flow starts from the stored state, does one step
through `cases`, and ends at the next wait for a person or an agency. Parameters are case ids
(or a date), never personal data; the database is the system of record."""
