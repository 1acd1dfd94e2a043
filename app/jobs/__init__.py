"""Background jobs: long work (plans, near repeat, hot spots) queued in PostgreSQL and run
by ``gridpatrol jobs worker`` with progress and cancellation.

api (``/api/v1/jobs``), service (submit, show, cancel, who may see), repository (every
SQL statement: the queue), kinds (what each kind runs; areas register theirs in
``app/planning/jobs.py`` and ``app/analysis/jobs.py``), progress (the callable long
functions take), worker (the process), cli (``gridpatrol jobs …`` and the terminal bar).
"""
