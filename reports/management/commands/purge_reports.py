"""``manage.py purge_reports --student-id X [--namespace N]``: erase a student's data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reports.jobs.erase import Erased, jobs_erase
from reports.jobs.students import jobs_of_student


class Command(BaseCommand):
    help = (
        "Erase everything stored about one student (an erasure request): every job whose "
        "input or report holds them, whatever its state, with its input, report row, file "
        "and webhook rows. A job of several students is erased whole."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--student-id", required=True, help="The student's id.")
        parser.add_argument(
            "--namespace", help="Only this namespace's student (where the input still says)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be erased; erase nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        student_id: str = options["student_id"]
        namespace: str | None = options["namespace"]
        who = repr(student_id) + (f" in namespace {namespace!r}" if namespace else "")
        jobs = jobs_of_student(student_id=student_id, namespace=namespace)
        if not jobs:
            self.stdout.write(f"No job holds data about student {who}.")
            return
        verb = "Would erase" if options["dry_run"] else "Erasing"
        self.stdout.write(f"{verb} {len(jobs)} job(s) holding data about student {who}:")
        for job in jobs:
            notes = []
            if job.students > 1:
                others = job.students - 1
                notes.append(f"{job.students} students: erased whole, with {others} other(s)")
            if job.found_in == "report" and namespace:
                notes.append("input already dropped: namespace not checked")
            note = f" ({'; '.join(notes)})" if notes else ""
            self.stdout.write(f"  {job.job_id}  {job.kind:4}  {job.status:8}{note}")
        if options["dry_run"]:
            return
        erased = Erased()
        for job in jobs:  # one transaction each: no long locks, and a crash loses no work
            erased += jobs_erase(job_ids=[job.job_id], tombstone=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Removed {erased.jobs} job(s), {erased.inputs} input(s), "
                f"{erased.reports} report row(s), {erased.files} report file(s)."
            )
        )
