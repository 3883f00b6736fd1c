from django.contrib import admin
from django.http import JsonResponse
from django.urls import path

from shelf.models import Book


def books(request):
    return JsonResponse({"books": [b.title for b in Book.objects.order_by("title")],
                         "authorization": request.META.get("HTTP_AUTHORIZATION")})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("books/", books),
]
