"""A package as read and checked: what the database should hold, before anything is written.

Each part carries the values of its model's fields (the default language's text on the fields,
the other languages under `translations`) and where its file lists its children, so a refusal
about a child that is gone can point at the list it was removed from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Location = tuple[str, int]


@dataclass
class ImagePlan:
    name: str
    content_type: str
    data: bytes
    sha256: str


@dataclass
class ExercisePlan:
    slug: str
    fields: dict[str, Any]
    translations: dict[str, dict[str, str]]


@dataclass
class LessonPlan:
    slug: str
    fields: dict[str, Any]
    translations: dict[str, dict[str, str]]
    listed_at: Location
    images: list[ImagePlan] = field(default_factory=list)
    exercises: list[ExercisePlan] = field(default_factory=list)


@dataclass
class ModulePlan:
    slug: str
    fields: dict[str, Any]
    translations: dict[str, dict[str, str]]
    listed_at: Location
    lessons: list[LessonPlan] = field(default_factory=list)


@dataclass
class CoursePlan:
    slug: str
    fields: dict[str, Any]
    translations: dict[str, dict[str, str]]
    listed_at: Location
    modules: list[ModulePlan] = field(default_factory=list)

    def lessons(self) -> list[tuple[ModulePlan, LessonPlan]]:
        return [(module, lesson) for module in self.modules for lesson in module.lessons]

    def exercises(self) -> list[tuple[LessonPlan, ExercisePlan]]:
        return [(lesson, ex) for _, lesson in self.lessons() for ex in lesson.exercises]

    def where_removed(self, module_slug: str, lesson_slug: str) -> Location:
        """Where a child of this lesson (in this module) would have been listed: the lesson's
        exercise list if the lesson remains, else its module's lesson list, else the course's."""
        for _module, lesson in self.lessons():
            if lesson.slug == lesson_slug:
                return lesson.listed_at
        for module in self.modules:
            if module.slug == module_slug:
                return module.listed_at
        return self.listed_at
