"""Prefect 1.x compatibility helpers."""
