"""Tables of the notices feature (see services/notices.py)."""
