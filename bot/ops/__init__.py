"""Running it day to day: health and metrics endpoints, `paperbell doctor`, favorites export.

These read every layer below (store, source, platforms), so they sit near the top.
"""
