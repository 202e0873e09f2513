"""The grade as one self-contained HTML page: a bar per student (inline SVG, no script, no external file)
and a table per copy. Every text from the scenario, the store or a student's answers file is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from minisoc.scenarios.model import Scenario
from minisoc.scenarios.scoring import CopyScore

BAR_HEIGHT = 26
CHART_WIDTH = 640
LABEL_WIDTH = 110

_STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}
.num{text-align:right}.problem{color:#a00}.passive{stroke:#888;stroke-dasharray:4 3}
@media print{.copy{page-break-inside:avoid}}"""


def bar_chart(scores: Sequence[CopyScore], passive: float) -> str:
    """An SVG bar per copy (its percent), with the passive analyst's score as a dashed line."""
    height = BAR_HEIGHT * len(scores) + 30
    span = CHART_WIDTH - LABEL_WIDTH - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
             f'role="img" aria-label="score per student">']
    for row, score in enumerate(scores):
        y = row * BAR_HEIGHT + 4
        width = round(span * score.percent / 100, 1)
        colour = "#2a7" if score.percent >= 80 else "#e90" if score.percent >= 50 else "#c33"
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{escape(score.copy)}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT - 8}" '
                     f'fill="{colour}"><title>{escape(score.copy)}: {score.percent} %</title></rect>'
                     f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 16}" font-size="13">'
                     f"{score.percent} %</text>")
    x = round(LABEL_WIDTH + span * passive / 100, 1)
    bottom = BAR_HEIGHT * len(scores) + 4
    parts.append(f'<line class="passive" x1="{x}" y1="0" x2="{x}" y2="{bottom}"/>'
                 f'<text x="{x + 4}" y="{bottom + 18}" font-size="11">passive analyst: {passive} %</text>')
    parts.append("</svg>")
    return "".join(parts)


def _copy_table(score: CopyScore) -> str:
    rows = "".join(
        f"<tr><td>{escape(item.kind)}</td><td>{escape(item.id)}</td><td>{escape(item.description)}</td>"
        f'<td class="num">{item.earned:g} / {item.points}</td><td>{escape(item.detail)}</td></tr>'
        for item in score.items)
    problems = "".join(f'<p class="problem">{escape(problem)}</p>' for problem in score.problems)
    return (f'<div class="copy"><h2>{escape(score.copy)}: {score.percent} % ({score.earned:g} of '
            f"{score.total} points)</h2>{problems}<table><tr><th>kind</th><th>item</th><th>what</th>"
            f"<th>points</th><th>found</th></tr>{rows}</table></div>")


def render_html(scenario: Scenario, scores: Sequence[CopyScore], generated: datetime) -> str:
    title = f"{scenario.title}: grades"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
            f"<p>Scenario <code>{escape(scenario.id)}</code>, {len(scores)} copies, graded "
            f"{escape(generated.strftime('%Y-%m-%d %H:%M UTC'))}. A passive analyst scores "
            f"{scenario.passive_score} %.</p>{bar_chart(scores, scenario.passive_score)}"
            + "".join(_copy_table(score) for score in scores) + "</body></html>\n")
