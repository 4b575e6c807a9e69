"""The notebook view of a result (``SweepResult._repr_html_``): decision, table and curves.

Small on purpose: a notebook keeps every output, so this embeds the matplotlib image as a PNG
(tens of kB) instead of the interactive report's 5 MB of plotly; ``result.to_html(path)``
writes the interactive one.
"""

from __future__ import annotations

import base64

from ..core.result import SweepResult
from . import markup
from .figures import candidate_rows
from .plot import png_bytes

# Scoped to the summary's own class: notebook outputs share one page with everything else.
STYLE = """<style>
.lrscout-summary { font-family: system-ui, sans-serif; max-width: 980px; }
.lrscout-summary .choice { font-size: 17px; margin: 4px 0; }
.lrscout-summary .choice.ok strong { color: #009E73; }
.lrscout-summary .choice.none { color: #CC0000; font-weight: 600; }
.lrscout-summary .badge { display: inline-block; color: #fff; border-radius: 999px; padding: 0 8px;
                          font-size: 12px; font-weight: 600; }
.lrscout-summary table { border-collapse: collapse; margin: 6px 0; }
.lrscout-summary th, .lrscout-summary td { padding: 3px 8px; text-align: left; border-bottom: 1px solid #ddd; }
.lrscout-summary tr.chosen { font-weight: 600; background: #e9f7f2; }
.lrscout-summary td.num { text-align: right; }
.lrscout-summary .advice li { color: #8a5a00; }
</style>"""


def summary_html(result: SweepResult) -> str:
    """Decision with reasons, one row per candidate, and the loss curves as an inline PNG."""
    image = base64.b64encode(png_bytes(result, width=6.0, dpi=90)).decode("ascii")
    findings = "" if not result.findings else f"<h4>Diagnosis</h4>{markup.findings_block(result.findings)}"
    return (f'{STYLE}<div class="lrscout-summary">{markup.decision_block(result)}'
            f"{markup.candidate_table(candidate_rows(result), evidence=False)}{findings}"
            f'<img alt="training loss per candidate" src="data:image/png;base64,{image}"></div>')
