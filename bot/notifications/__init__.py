"""Outbound notifications to residents and staff."""
