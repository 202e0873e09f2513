"""minisoc: a turnkey mini Security Operations Centre for small R&E sites."""

__version__ = "0.1.0"
