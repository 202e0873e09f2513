"""`merge_alert` (minisoc.correlator.alerts) as an OpenSearch update script, for `_bulk` `update` + `upsert`.

An alert absent from the index is created as it is (the upsert); one already there (the same record alerted
again: a replay, a restart, a retro-hunt with new indicators) gets the enrichments and tags it lacks, and is
left untouched (`noop`) when there are none. Two enrichments are the same when (indicator.provider,
matched.id, matched.field, matched.atomic) are, as `minisoc.correlator.alerts.enrichment_key` says; the
integration test runs both on the same documents.
"""

from __future__ import annotations

from typing import Any

MERGE_SOURCE = """
List key(def e) {
  Map i = e instanceof Map && e.indicator instanceof Map ? (Map) e.indicator : new HashMap();
  Map m = e instanceof Map && e.matched instanceof Map ? (Map) e.matched : new HashMap();
  return [String.valueOf(i.provider), String.valueOf(m.id), String.valueOf(m.field),
          String.valueOf(m.atomic)];
}
if (!(ctx._source.threat instanceof Map)) { ctx._source.threat = new HashMap(); }
Map threat = (Map) ctx._source.threat;
if (!(threat.enrichments instanceof List)) { threat.enrichments = new ArrayList(); }
List have = (List) threat.enrichments;
Set known = new HashSet();
for (def e : have) { known.add(key(e)); }
boolean changed = false;
for (def e : params.enrichments) {
  if (known.add(key(e))) { have.add(e); changed = true; }
}
if (!(ctx._source.tags instanceof List)) { ctx._source.tags = new ArrayList(); }
List tags = (List) ctx._source.tags;
for (def tag : params.tags) {
  if (!tags.contains(tag)) { tags.add(tag); changed = true; }
}
if (!changed) { ctx.op = 'none'; }
""".strip()


def merge_script(doc: dict[str, Any]) -> dict[str, Any]:
    """The update script that merges the alert document `doc` into the stored one."""
    return {
        "lang": "painless",
        "source": MERGE_SOURCE,
        "params": {"enrichments": doc.get("threat", {}).get("enrichments", []), "tags": doc.get("tags", [])},
    }
