from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campus.health import describe, run_checks


@never_cache
@require_GET
def healthz(request):
    """200 when every dependency answers, 503 naming the ones that do not."""
    results = run_checks()
    where = describe()
    checks = {
        name: {"ok": reason is None, "target": where[name], **({"error": reason} if reason else {})}
        for name, reason in results.items()
    }
    down = [name for name, reason in results.items() if reason is not None]
    body = {"status": "down" if down else "ok", "down": down, "checks": checks}
    return JsonResponse(body, status=503 if down else 200)
