##! minisoc replay: loaded after local.zeek by `minisoc replay` (zeek -r) only, never by the live sensor.
##!
##! Zeek's intel framework reads its files through the input framework, in a thread of its own: under -r the
##! first packets are analysed before the items are in, and their connections never match (8 of the 11
##! connections of the shared sshguess.pcap with Zeek 8.0.10). So packet processing is suspended until every
##! intel file has been read once: Input::end_of_data of the stream the intel framework names
##! "intel-<file>" (base/frameworks/intel/input.zeek).
##!
##! The hold never hangs the replay:
##! - a missing or empty file is not waited for (file_size): Zeek's ASCII reader only warns about it and
##!   never ends its first read, so no end_of_data would come;
##! - a file Zeek cannot read (no `#fields` header, a required field missing) ends the hold with the
##!   reader's warning, which names the file;
##! - no timeout by `schedule`: under -r network time only follows the trace, and it stands still while
##!   processing is suspended (RunState.cc: an offline packet source always controls network time), so a
##!   scheduled event would fire only after the hold had ended.

@load base/frameworks/intel

module MinisocReplay;

# One set of logs per replay run: no rotation in trace time (it would rename conn.log to conn.<trace time>.log).
redef Log::default_rotation_interval = 0 secs;

global awaiting: set[string] = set();
global holding = F;

function release(why: string)
	{
	if ( ! holding )
		return;

	holding = F;
	Reporter::info(fmt("minisoc replay: packet processing released: %s", why));
	continue_processing();
	}

event zeek_init() &priority=-10
	{
	for ( f in Intel::read_files )
		{
		if ( file_size(f) > 0.0 )  # -1.0: no such file
			add awaiting[cat("intel-", f)];
		else
			Reporter::warning(fmt("minisoc replay: intel file %s is missing or empty: replaying without its indicators", f));
		}

	if ( |awaiting| == 0 )
		return;

	holding = T;
	suspend_processing();
	}

event Input::end_of_data(name: string, source: string)
	{
	if ( name !in awaiting )
		return;

	delete awaiting[name];

	if ( |awaiting| == 0 )
		release("intel loaded");
	}

event reporter_warning(t: time, msg: string, location: string)
	{
	if ( ! holding )
		return;

	for ( f in Intel::read_files )
		{
		if ( cat("intel-", f) in awaiting && strstr(msg, f) > 0 )
			{
			delete awaiting[cat("intel-", f)];
			Reporter::info(fmt("minisoc replay: not waiting for intel file %s, Zeek cannot read it", f));

			if ( |awaiting| == 0 )
				release("no intel file left to wait for");
			}
		}
	}
