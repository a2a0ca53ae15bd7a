"""Support hours: when the team is in (schedule.py) and how to say it (datefmt.py)."""
