from django.test import TestCase


class BookTests(TestCase):
    def test_nothing(self):
        self.assertTrue(True)
