"""Sum integers in C."""

from fastsum._fastsum import total

__all__ = ["total"]
