"""`minisoc kafka apply --config FILE`: create or align a distributed site's Kafka topics (and ACLs).

Thin: the job file is written by the render (`config/correlator/kafka-topics.json` on the host of `kafka-1`)
and run by the hub's one-shot service `kafka-topics`, inside the compose project where the brokers answer;
`minisoc.ops.kafka_topics.run_topics_job` does the work. Run it again at any time: it only changes what
differs (partitions grow, configs align; it never deletes a topic or shrinks one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minisoc.kafka.job import load_topics_job
from minisoc.ops.kafka_topics import SUMMARY_PREFIX, TopicChange, run_topics_job, summarise_changes

ConfigOption = Annotated[Path, typer.Option("--config", help="The topics job file the render wrote.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="kafka", help="A distributed site's Kafka topics (docs/scale-out.md).",
                        no_args_is_help=True, rich_markup_mode=None)
    group.command(name="apply")(apply_command)
    app.add_typer(group, name="kafka")


def change_line(change: TopicChange) -> str:
    """`create minisoc.zeek.conn: 6 partitions x 2 replicas`, `unchanged minisoc.intel`, ..."""
    if change.action == "create" and change.spec is not None:
        return (f"create {change.topic}: {change.spec.partitions} partitions x "
                f"{change.spec.replication_factor} replicas")
    return f"{change.action} {change.topic}" + (f": {change.detail}" if change.detail else "")


def apply_command(config: ConfigOption, as_json: JsonFlag = False) -> None:
    """Wait for the brokers, then create the missing topics and align the others with the job file."""
    plan = run_topics_job(load_topics_job(config))
    if as_json:
        typer.echo(json.dumps([{"topic": c.topic, "action": c.action, "detail": c.detail} for c in plan],
                              indent=2))
        return
    for change in plan:
        typer.echo(change_line(change))
    typer.echo(SUMMARY_PREFIX + summarise_changes(plan))  # the last line: what `up --host` reports
