"""Adapters for the outside world. Each kind has a small interface, real adapters and an
offline default that works on this machine; SDK imports stay inside each adapter module."""
