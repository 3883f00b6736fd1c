from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from shelf.models import Book


def books(request):
    return JsonResponse({"books": [b.title for b in Book.objects.order_by("title")],
                        "authorization": request.META.get("HTTP_AUTHORIZATION")})


@login_required
@require_POST
def upload_cover(request):
    """Stores an uploaded cover under MEDIA_ROOT; Apache serves it at its URL."""
    f = request.FILES["cover"]
    name = default_storage.save("covers/" + f.name, f)
    return JsonResponse({"url": default_storage.url(name)})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("books/", books),
    path("covers/", upload_cover),
]
