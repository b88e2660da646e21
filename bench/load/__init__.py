"""The load bench: locust journeys (locustfile.py) and the runner with its checks (run.py)."""
