"""Flow records (NetFlow v5/v9, IPFIX, sFlow) from the JSON of pmacct, goflow2 and nfdump:
`record.FlowParser`."""

from minisoc.correlator.flows.record import NETFLOW_LOG_TYPE, FlowParser, collector_of, flow_fields

__all__ = ["NETFLOW_LOG_TYPE", "FlowParser", "collector_of", "flow_fields"]
