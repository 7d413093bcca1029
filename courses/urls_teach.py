"""Instructors' course admin on the site: gradebook, deadlines, roster progress, content."""

urlpatterns: list = []
