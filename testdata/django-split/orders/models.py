from django.db import models


class Order(models.Model):
    customer = models.CharField(max_length=200)
    placed = models.DateTimeField(auto_now_add=True)
