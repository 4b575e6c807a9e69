"""``lrscout lab SCENARIO``: build a failure mode for real, sweep it, apply the remedy, sweep again.

Only click is imported here at module level, so ``lrscout --help`` stays fast.
"""

from __future__ import annotations

import sys

import click


@click.command("lab")
@click.argument("scenario", required=False)
@click.option("--list", "list_only", is_flag=True, help="Explain each scenario and exit.")
@click.option("--plot", "plot_path", default=None,
              help="Write the two runs' curves side by side here (.png, .svg or .pdf).")
def lab_command(scenario: str | None, list_only: bool, plot_path: str | None) -> None:
    """Failure-mode lab: build a pathology, sweep it, apply the remedy, sweep again.

    SCENARIO is scaling, exploding, noise, overfit, too-high or too-low (--list explains each).
    """
    from ..errors import InvalidConfigError
    from ..report.terminal import print_result
    from ..workflows.lab import SCENARIOS, run_scenario
    from .common import check_outputs, console
    from .exit_codes import EXIT_OK

    out = console()
    if list_only:
        for s in SCENARIOS.values():
            out.print(f"[bold]{s.name}[/]: {s.title}")
            out.print(f"  builds:  {s.pathology}", highlight=False)
            out.print(f"  finding: {s.expects.value}", highlight=False)
            out.print(f"  remedy:  {s.remedy}", highlight=False)
        sys.exit(EXIT_OK)
    if scenario is None:
        raise InvalidConfigError(f"give a scenario ({', '.join(SCENARIOS)}) or --list")
    check_outputs(None, plot_path)

    run = run_scenario(scenario)
    s = run.scenario
    out.print(f"[bold]Lab: {s.name}[/] ({s.title}). {s.pathology}.\n", highlight=False)
    print_result(run.before, out, title=f"before: {s.name}")
    finding = run.finding
    if finding is None:
        out.print(f"\n[red]The diagnosis did not report {s.expects.value}[/]; applying the remedy anyway.")
    else:
        out.print(f"\nThe diagnosis reported [bold]{finding.kind.value}[/] ({finding.severity.value}); "
                  f"the lab applies its remedy: [bold]{run.applied}[/].\n", highlight=False)
    print_result(run.after, out, title=f"after: {run.applied}")
    change = (f"largest good rate {_move(run.before.decision.largest_good_lr, run.after.decision.largest_good_lr)}, "
              f"chosen rate {_move(run.before.chosen_lr, run.after.chosen_lr)}")
    verdict = (f"the {s.expects.value} finding is gone" if run.cured
               else f"the remedy did not clear the {s.expects.value} finding")
    out.print(f"\n[bold]Outcome:[/] {change}; {verdict}.", highlight=False)
    if plot_path:
        from ..report.plot import save_plot

        save_plot(run.titled(), plot_path)
        out.print(f"plot written to {plot_path}")
    sys.exit(EXIT_OK)


def _move(before: float | None, after: float | None) -> str:
    def shown(lr: float | None) -> str:
        return "none" if lr is None else f"{lr:g}"
    return f"{shown(before)} -> {shown(after)}"
