"""Tables of the visits feature (see services/visits.py)."""
