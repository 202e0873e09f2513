"""The minisoc correlation service: intel x Zeek logs -> alerts, sightings, retro-hunt, intel export."""
