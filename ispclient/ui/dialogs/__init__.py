"""Dialogs: client, subscription, payment, cancel, subscription view, server, package.

Each has a classmethod ``ask(...)`` returning the saved id (or None) so windows and tests drive
them the same way.
"""
