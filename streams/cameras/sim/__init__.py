"""The demo's and the tests' cameras, apart from the real ones: an RTSP server painting synthetic streams
(`rtsp`, with `media`, the `rain` schedule and the `control` port).

Run as `python -m streams.cameras.sim` (`cameras-sim` in `scc run` when `cameras.simulate` is on);
nothing outside this package imports it.
"""
