"""paperbell: the platform-neutral core of an arXiv notification bot."""
