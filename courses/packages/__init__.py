"""Course packages: a course as a folder of Markdown and YAML (courses/catalog/README.md is the
format), imported into the database and exported back.

- `validate_course(path)` lists every problem a folder has, each `file:line: message`;
- `import_course(path=...)` applies a folder in one transaction, or raises `PackageInvalid`;
- `export_course(slug=..., path=...)` writes a course back out as such a folder.
"""

from courses.packages.export import export_course
from courses.packages.problems import PackageInvalid, Problem
from courses.packages.report import ImportReport
from courses.packages.services import import_course, validate_course

__all__ = [
    "ImportReport",
    "PackageInvalid",
    "Problem",
    "export_course",
    "import_course",
    "validate_course",
]
