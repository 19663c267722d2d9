"""One adapter per chat platform: its updates in, core calls, its messages out."""
