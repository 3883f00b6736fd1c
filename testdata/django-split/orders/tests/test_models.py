from django.test import TestCase


class OrderTest(TestCase):
    def test_nothing(self):
        pass
