"""jjj-etl."""
