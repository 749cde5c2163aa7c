"""Test and benchmark support shipped with flash-rt: torch references (`ref`), the catalog
of entries with their inputs (`cases`), numerics helpers and the timing harness.

Needs torch; importing `flash_rt` itself does not.
"""
