"""Helpers the tests share that are not fixtures (throwaway servers, sample data)."""
