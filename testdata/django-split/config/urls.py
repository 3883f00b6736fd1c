from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import path

from orders.models import Order


def which(request):
    """Which settings serve, and the orders: for the end-to-end test."""
    return JsonResponse({"settings": settings.SETTINGS_NAME, "debug": settings.DEBUG,
                         "orders": Order.objects.count()})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("which/", which),
]
