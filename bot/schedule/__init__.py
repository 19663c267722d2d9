"""The poll cycle that drives the pipeline: when to look at arXiv, what is new, what to queue.

Top of the pipeline: it calls the source, the store, matching and delivery, and nothing below
calls back up into it.
"""
