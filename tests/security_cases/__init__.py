"""The case registries of the security tests: data and helpers, no tests (pytest collects only
test_*.py). Each registry is read by the test module named in its docstring; test modules import
from here, never from each other."""
