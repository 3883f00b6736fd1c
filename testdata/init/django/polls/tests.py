from django.test import TestCase


class QuestionModelTests(TestCase):
    def test_nothing(self):
        self.assertTrue(True)
