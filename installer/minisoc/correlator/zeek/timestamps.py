"""Kept for the Zeek readers' imports: the time forms live in correlator.timestamps (flows and syslog use them
too)."""

from minisoc.correlator.timestamps import dated_epoch, epoch_seconds

__all__ = ["dated_epoch", "epoch_seconds"]
