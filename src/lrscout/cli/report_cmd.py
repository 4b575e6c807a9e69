"""``lrscout report RESULTS.json... -o out.html``: rebuild the HTML report from saved results.

Only click is imported at module level: ``cli/main.py`` registers ``report_command`` when it
loads, and ``lrscout --help`` must stay fast.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("results", nargs=-1, required=True, metavar="RESULTS.json...")
@click.option("--output", "-o", default=None,
              help="The HTML file to write (default: the first results file with .html).")
@click.option("--title", default=None, help="The report's heading.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def report_command(results: tuple[str, ...], output: str | None, title: str | None, quiet: bool) -> None:
    """Write an HTML report from results saved with --json (several files: one section each,
    e.g. raw.json standardized.json). The page works offline."""
    from ..core.result import SweepResult
    from ..report.html import write_html
    from .common import check_outputs, console, plain

    output = output or str(Path(results[0]).with_suffix(".html"))
    check_outputs(None, None, report_path=output, report_option="--output",
                  inputs=[("results file", path) for path in results])
    loaded = [SweepResult.load(path) for path in results]
    panels = loaded[0] if len(loaded) == 1 else [(Path(p).stem, r) for p, r in zip(results, loaded)]
    written = write_html(panels, output, title=title)
    if not quiet:
        console().print(plain(f"report written to {written}"), highlight=False)
