"""Large values (a job's input body, a report's HTML and data) compressed with LZ4 instead of
PostgreSQL's default pglz: storing a 9 MB body took 47 instead of 116 ms, and reading it
back is faster too (docs/performance.md). Only on a PostgreSQL that has LZ4 (14 and later,
built with it); elsewhere nothing changes. Only values stored from now on are affected."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, migrations, transaction

COLUMNS = (
    ("reports_jobinput", "body"),
    ("reports_report", "html"),
    ("reports_report", "data_json"),
    ("reports_report", "data_csv"),
)


def _compression(method: str) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or connection.pg_version < 140000:
            return
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                for table, column in COLUMNS:
                    cursor.execute(
                        f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}'
                    )
        except DatabaseError:  # built without LZ4: the default stays
            return

    return apply


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_report_data_and_timezone")]

    operations = [migrations.RunPython(_compression("lz4"), _compression("pglz"))]
