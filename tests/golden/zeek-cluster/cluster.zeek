# Rendered by `minisoc render` for site my-site: do not edit, change minisoc.yaml and render again.
# Zeek's Supervisor (`zeek -C -j` this file) runs the sensor as a cluster: 4 workers in
# AF_PACKET fanout group 28879 on af_packet::eth0, a manager, a logger and a proxy. Broker on
# 127.0.0.1 ports 29179-29185 (sensor.cluster_port). The supervisor and every node
# load this file; only the supervisor creates nodes, each node then loads the site's scripts. The supervisor
# works in /tmp, the logger in the log folder, the other nodes in /tmp/zeek-<node>.

# Broker carries the cluster's events and logs: Zeek 8.0's default backend, a policy script from Zeek 8.1 on
# (loaded when it exists, as zeekctl does). Every node listens on 127.0.0.1 only: Broker otherwise listens on
# every address (ZEEK_DEFAULT_LISTEN_ADDRESS unset), and the sensor shares the host's network.
@load base/utils/packages
@if ( can_load("policy/frameworks/cluster/backend/broker") )
@load policy/frameworks/cluster/backend/broker
@endif
redef Broker::default_listen_address = "127.0.0.1";

# The workers split the interface's traffic by flow (PACKET_FANOUT_HASH: both directions of a connection
# reach the same worker), in the site's own fanout group (AF_Packet::fanout_id, set in local.zeek).
redef AF_Packet::enable_fanout = T;
redef AF_Packet::fanout_mode = AF_Packet::FANOUT_HASH;

event zeek_init()
	{
	if ( ! Supervisor::is_supervisor() )
		return;

	local cluster: table[string] of Supervisor::ClusterEndpoint;
	cluster["manager"] = Supervisor::ClusterEndpoint($role=Supervisor::MANAGER, $host=127.0.0.1, $p=29179/tcp);
	cluster["logger"] = Supervisor::ClusterEndpoint($role=Supervisor::LOGGER, $host=127.0.0.1, $p=29180/tcp);
	cluster["proxy"] = Supervisor::ClusterEndpoint($role=Supervisor::PROXY, $host=127.0.0.1, $p=29181/tcp);
	cluster["worker-1"] = Supervisor::ClusterEndpoint($role=Supervisor::WORKER, $host=127.0.0.1, $p=29182/tcp, $interface="af_packet::eth0");
	cluster["worker-2"] = Supervisor::ClusterEndpoint($role=Supervisor::WORKER, $host=127.0.0.1, $p=29183/tcp, $interface="af_packet::eth0");
	cluster["worker-3"] = Supervisor::ClusterEndpoint($role=Supervisor::WORKER, $host=127.0.0.1, $p=29184/tcp, $interface="af_packet::eth0");
	cluster["worker-4"] = Supervisor::ClusterEndpoint($role=Supervisor::WORKER, $host=127.0.0.1, $p=29185/tcp, $interface="af_packet::eth0");
	local directories: table[string] of string = {
		["manager"] = "/tmp/zeek-manager",
		["logger"] = "/logs/zeek",
		["proxy"] = "/tmp/zeek-proxy",
		["worker-1"] = "/tmp/zeek-worker-1",
		["worker-2"] = "/tmp/zeek-worker-2",
		["worker-3"] = "/tmp/zeek-worker-3",
		["worker-4"] = "/tmp/zeek-worker-4"
	};

	for ( n, ep in cluster )
		{
		local sn = Supervisor::NodeConfig($name=n, $cluster=cluster, $directory=directories[n],
		                                  $addl_user_scripts=vector("/etc/minisoc/zeek/local.zeek"));
		if ( ep?$interface )
			sn$interface = ep$interface;
		local res = Supervisor::create(sn);
		if ( res != "" )
			Reporter::fatal(fmt("zeek cluster: node %s not created: %s", n, res));
		}
	}
