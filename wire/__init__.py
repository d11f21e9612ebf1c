"""The wire contract the backend and the studio share: event names, rooms, the quality table.

Neither side copies these; the backend never imports the studio and the studio never imports
the backend (import-linter contracts in ``.importlinter``), so what both need lives here.
"""
