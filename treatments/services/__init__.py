"""Writes that carry clinical rules: each runs in one transaction with its audit rows."""
