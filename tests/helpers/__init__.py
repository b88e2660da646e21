"""Helpers shared by test modules: plain functions, no fixtures (those live in tests/conftest.py).

A test module imports what it shares from here, never from another test module or from conftest.
"""
