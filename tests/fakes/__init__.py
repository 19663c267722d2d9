"""Local stand-ins for the services paperbell talks to, shared by tests and benchmarks."""
