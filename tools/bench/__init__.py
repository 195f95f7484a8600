"""Benchmark of relationship_health at scale (``python3 -m tools.bench``).

- ``generate``: a synthetic B2B book written with set-based SQL;
- ``floor``: the same reads and writes as the nightly job, in raw SQL;
- ``screens``: the server time of the screens, asked as the web client asks;
- ``naive``: a straightforward per-partner ORM implementation of the score;
- ``__main__``: creates the throwaway databases, runs the measurements in
  fresh processes and prints the table (see README, Benchmark).
"""
