"""Benchmarks. Not imported by the application; see bench/webhook_ingest.py."""
