"""Shared core of the Soppeng Command Center: settings, storage, users, clock.

`dashboard`, `streams` and `callcenter` build on this package; it imports none
of them, so the data flow stays one way.
"""

__version__ = "0.1.0"
