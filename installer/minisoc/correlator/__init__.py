"""The minisoc correlation service: MISP/Zeek intel x Zeek logs -> alerts, sightings, retro-hunt, Zeek intel export."""
