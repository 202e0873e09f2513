# Rendered by `minisoc render` for site my-site: do not edit, change minisoc.yaml and render again.
@load base/frameworks/intel
@load frameworks/intel/seen
@load frameworks/intel/do_notice
@load policy/tuning/json-logs
@load policy/protocols/ssl/validate-certs
@load policy/protocols/ssl/log-hostcerts-only
@load policy/frameworks/files/hash-all-files

# JSON logs, one object per line, with epoch timestamps; rotated hourly in place (the correlator follows).
redef LogAscii::use_json = T;
redef Log::default_rotation_interval = 1 hr;

# Indicators exported by the minisoc correlator (atomically replaced; Zeek re-reads it on change). Zeek
# never removes an item that left the file: it expires it this long after its last (re)read. The correlator
# rewrites the file more than twice within it, so kept items never lapse and removed ones do.
redef Intel::read_files += { "/intel/minisoc.intel" };
redef Intel::item_expiration = 10800 secs;
