"""Reads for the pages, one module per domain (platform, cameras, metrics, calls).

Each returns plain records merged with the configured regency, so a camera or
metric with no stored data yet still appears, marked as having none. Pages
call these and never write SQL of their own.
"""
