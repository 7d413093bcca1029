"""Import a course package (a folder of Markdown + YAML) into the database.

Every problem is printed as `path/to/file.yaml:LINE: message`, and the command exits with status
1 having changed nothing; on success it prints what was created, updated, deleted or left alone.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from courses.packages import PackageInvalid, import_course, validate_course


class Command(BaseCommand):
    help = (
        "Import a course from a folder of Markdown and YAML (courses/catalog/README.md), "
        "checking everything first; nothing changes if any file has a problem."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help=_("The course folder (the one holding course.yaml)."))
        parser.add_argument(
            "--check",
            action="store_true",
            help=_("Only report problems; change nothing."),
        )

    def handle(self, *args, path: str, check: bool, **options) -> None:
        if check:
            self._check(path)
            return
        try:
            report = import_course(path=Path(path))
        except PackageInvalid as error:
            self._fail(error.lines())
        for line in report.lines():
            self.stdout.write(line)

    def _check(self, path: str) -> None:
        problems = validate_course(path)
        if problems:
            self._fail([problem.located(path) for problem in problems])
        self.stdout.write(_("%(path)s: no problems.") % {"path": path})

    def _fail(self, lines: list[str]) -> None:
        for line in lines:
            self.stderr.write(line)
        raise CommandError(
            _("%(count)d problem(s); nothing was changed.") % {"count": len(lines)}, returncode=1
        )
