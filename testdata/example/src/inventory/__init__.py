"""Inventory: the wsgipack example app."""

__version__ = "1.4.2"
