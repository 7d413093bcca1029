from django.contrib import admin, messages

from campus.api import ServiceError
from courses import selectors, services
from courses.models import Course, Enrollment, Offering


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    fields = ("user", "role", "is_active")
    raw_id_fields = ("user",)


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    """Staff who are not superusers see only the offerings they may manage."""

    list_display = ("course", "university", "term", "slug")
    list_filter = ("university", "term")
    inlines = [EnrollmentInline]

    def get_queryset(self, request):
        return selectors.manageable_offerings(request.user)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "offering", "role", "is_active")
    list_filter = ("role", "is_active", "offering")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)

    def get_queryset(self, request):
        offerings = selectors.manageable_offerings(request.user)
        return super().get_queryset(request).filter(offering__in=offerings)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = services.enroll(offering=obj.offering, user=obj.user, role=obj.role)
        except ServiceError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return
        obj.pk = created.pk
