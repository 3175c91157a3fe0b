"""Presentation: turns plain result data into tables, markdown and diagrams.
Nothing here computes a number."""
