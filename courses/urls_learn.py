"""Students' pages: the course outline, lessons and exercises of an offering."""

urlpatterns: list = []
