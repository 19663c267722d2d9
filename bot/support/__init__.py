"""What every layer leans on and no paper flows through: settings, time, log scrubbing,
how long a server asked us to wait."""
