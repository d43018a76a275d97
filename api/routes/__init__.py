"""Routers, one per user concern."""
