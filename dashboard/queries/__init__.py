"""Reads for the pages: one module per room (platform, cameras, metrics, callcenter) and its parts
(`callcenter_history`...), named as in every other layer.

Each returns plain records merged with the configured regency, so a camera or
metric with no stored data yet still appears, marked as having none. Pages
call these and never write SQL of their own.
"""
