"""
Boardsite's load benchmark: `python manage.py bench ...` (docs/performance.md).

It starts real daphne processes on free loopback ports (the project, a plain
ASGI relay and a tutorial-style Channels consumer), drives them with the same
load generator, checks that every client got every message once and in order,
and prints one table with the project's figures beside the baselines'.
"""
