"""Write a course out as a package folder (the layout import_course reads)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from courses.packages import export_course


class Command(BaseCommand):
    help = "Write a course out as a folder of Markdown and YAML (courses/catalog/README.md)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help=_("The course's slug."))
        parser.add_argument("path", help=_("The folder to write; it must not hold anything yet."))

    def handle(self, *args, slug: str, path: str, **options) -> None:
        try:
            root = export_course(slug=slug, path=path)
        except ServiceError as error:
            raise CommandError(error.message, returncode=1) from error
        count = sum(1 for item in root.rglob("*") if item.is_file())
        self.stdout.write(
            _("Course '%(slug)s' written to %(path)s (%(count)d files).")
            % {"slug": slug, "path": root, "count": count}
        )
