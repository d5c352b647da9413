"""APScheduler setup and thin tick jobs that call services."""
