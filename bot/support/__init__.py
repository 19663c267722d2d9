"""What every layer leans on but no paper flows through: settings, time, logs, metrics, checks."""
