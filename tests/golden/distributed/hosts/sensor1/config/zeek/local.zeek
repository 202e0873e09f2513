# Rendered by `minisoc render` for site campus: do not edit, change minisoc.yaml and render again.
@load base/frameworks/intel
@load frameworks/intel/seen
@load frameworks/intel/do_notice
@load policy/tuning/json-logs
@load policy/protocols/ssl/validate-certs
@load policy/protocols/ssl/log-hostcerts-only
@load policy/frameworks/files/hash-all-files
# Zeek's own health: stats.log (packets received/dropped, every 5 min) and capture_loss.log (gaps in
# the ACKed data, every 15 min); `minisoc status` shows their latest records.
@load policy/misc/stats
@load policy/misc/capture-loss

# JSON logs, one object per line, with epoch timestamps; rotated hourly in place (the correlator follows).
# On start Zeek first rotates the logs a previous run left open, instead of truncating them.
redef LogAscii::use_json = T;
redef Log::default_rotation_interval = 1 hr;
redef LogAscii::enable_leftover_log_rotation = T;

# This site's own AF_PACKET fanout group: another sensor on this host (another site, a hand-run zeek with
# the default id) would otherwise split the interface's traffic with this one.
redef AF_Packet::fanout_id = 29549;

# Indicators exported by the minisoc correlator (atomically replaced; Zeek re-reads it on change). Zeek
# never removes an item that left the file: it expires it this long after its last (re)read. The correlator
# rewrites the file more than twice within it, so kept items never lapse and removed ones do.
redef Intel::read_files += { "/intel/minisoc.intel" };
redef Intel::item_expiration = 10800 secs;
