"""Small text helpers; the console script prints a slug of its arguments."""

import re
import sys


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main():
    print(slug(" ".join(sys.argv[1:])))
    return 0
