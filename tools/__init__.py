"""Measurement tools run by hand or by make targets (make bench); not part of the running portal."""
