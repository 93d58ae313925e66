"""The `simchain` command: parses arguments, calls the library, prints. No model logic here.

Exit codes: 0 ok, 2 bad input (a clear message, no traceback), 1 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simchain import bundled
from simchain.display import format_kpi
from simchain.errors import Problem, ScenarioError, UsageError
from simchain.scenario.loader import load_scenario
from simchain.scenario.schema import Scenario
from simchain.timebase import days

if TYPE_CHECKING:
    from simchain.classroom import Demo, Run
    from simchain.simulate import SimulationResult

    #: The sub-command parsers of `simchain`, to which each verb adds its own (a type only:
    #: argparse's class cannot be subscripted at run time).
    Verbs = argparse._SubParsersAction[argparse.ArgumentParser]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def kpi_table(kpis: dict[str, float], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for metric, value in kpis.items():
        table.add_row(metric, format_kpi(metric, value))
    return table


def _check_seed(seed: int) -> None:
    if seed < 0:
        raise ScenarioError("--seed", [Problem(("--seed",), f"must be >= 0, found {seed}")])


def run_to_folder(
    sc: Scenario, seed: int, folder: Path, report: bool = True, progress: bool = False
) -> SimulationResult:
    """What `simchain run` (and `simchain demo`) does with a loaded scenario: simulate it,
    write the run folder and, unless told not to, its report.html and figures; with
    `progress`, a progress bar on the terminal meanwhile."""
    from simchain.ahead import ReportAhead, processes
    from simchain.output import write_run
    from simchain.progress import RunProgress
    from simchain.simulate import simulate

    workers = min(2, processes())  # processes drawing the report's figures
    # with a core to spare, the report's process starts now: it loads matplotlib meanwhile
    ahead = ReportAhead(workers) if report and workers > 1 else None
    with ahead or contextlib.nullcontext(), RunProgress(sc, out, show=progress) as bar:
        result = simulate(sc, seed=seed, progress=bar.advance if progress else None)
        bar.phase("writing results")
        write_run(result, folder, command=["simchain", *sys.argv[1:]])
        if report:
            bar.phase("drawing the report")
            if ahead is not None:
                ahead.write(folder)
            else:
                from simchain.report import write_report

                write_report(folder, workers=workers)
    return result


def _scenario(args: argparse.Namespace, *overrides: str) -> Scenario:
    """The scenario named on the command line (a file or a bundled name) with `overrides`,
    then the user's --set, and --days; the seed checked too."""
    path = bundled.resolve(args.scenario)
    sc = load_scenario(path, overrides=[*overrides, *(args.set or ())], days=args.days)
    _check_seed(args.seed)
    return sc


def cmd_run(args: argparse.Namespace) -> int:
    sc = _scenario(args)
    folder = Path(args.out) if args.out else Path("results") / f"{sc.name}-seed{args.seed}"
    show = out.is_terminal and not args.quiet
    result = run_to_folder(sc, args.seed, folder, report=not args.no_report, progress=show)
    if not args.quiet:
        out.print(kpi_table(result.kpis, f"{sc.name} (seed {args.seed})"))
        st = result.stats
        out.print(
            f"{int(st['orders_simulated']):,} orders simulated in {st['simulation_s']:.2f} s "
            f"({st['orders_per_s']:,.0f} orders/s); results in {folder}/",
            soft_wrap=True,  # a path stays on one line, to be copied
        )
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    from simchain.report.animate import animate, check_fps, check_output, check_step
    from simchain.simulate import simulate
    from simchain.timebase import format_duration, parse_duration

    target = Path(args.out)
    check_output(target)  # all before simulating: bad options fail at once
    check_fps(args.fps)
    try:
        step = parse_duration(args.step) if args.step is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    # the warm-up only trims KPIs; an animation shows the whole run, so --days may be short
    sc = _scenario(args, "calendar.warm_up=0d")
    if step is not None:
        check_step(sc, step)
    result = simulate(sc, seed=args.seed)
    seen = result.resolved or sc
    frames, used = animate(
        result.tables, seen, target, step, args.fps, title=f"{sc.name} (seed {args.seed})"
    )
    if not args.quiet:
        out.print(
            f"{target}: {frames} frames, {format_duration(used)} of simulated time each, "
            f"{args.fps} fps ({frames / args.fps:.1f} s)"
        )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from simchain.classroom import DEMOS
    from simchain.errors import suggest

    if args.name is None:
        table = Table(title="Classroom demos (simchain demo NAME)", title_justify="left")
        table.add_column("name")
        table.add_column("what it shows")
        table.add_column("scenario")
        for d in DEMOS.values():
            table.add_row(
                d.name, d.summary, str(d.path.relative_to(bundled.SOURCE_SCENARIOS.parent))
            )
        out.print(table)
        return 0
    demo = DEMOS.get(args.name)
    if demo is None:
        err.print(
            escape(f"error: unknown demo '{args.name}'{suggest(args.name, DEMOS)}; ")
            + f"the demos are: {', '.join(DEMOS)}",
            soft_wrap=True,
        )
        return 2
    _check_seed(args.seed)
    folder = Path(args.out) if args.out else Path("results") / f"demo-{demo.name}-seed{args.seed}"
    if not args.quiet:
        out.rule(f"{demo.name}: what you are about to see")
        out.print(demo.explanation, markup=False, soft_wrap=True)
        out.print()
    t0 = time.perf_counter()
    report = demo.reports and not args.no_report
    show = out.is_terminal and not args.quiet
    runs = demo_runs(demo, args.seed, folder, report, show)
    text = demo.takeaway(runs, folder)
    if not args.quiet:
        n = len(runs)
        out.print(
            f"{n} run{'s' if n > 1 else ''} (seed {args.seed}) in {time.perf_counter() - t0:.1f} s"
            + ("; each run folder has its report.html" if report else "")
            + f"; results in {folder}/",
            markup=False,
            soft_wrap=True,
        )
        out.print()
        out.rule(f"{demo.name}: takeaway")
    out.print(text, markup=False, soft_wrap=True)
    return 0


def demo_runs(demo: Demo, seed: int, folder: Path, report: bool, progress: bool) -> list[Run]:
    """Run each variant of a demo into its run folder (`run_to_folder`); returns the runs in
    the variants' order. With several variants and a core to spare, a pool of processes runs
    them at once (the same runs: each is one seeded simulation of its own), with a bar
    counting the runs done in place of each run's."""
    from simchain.ahead import processes
    from simchain.classroom import Run

    wheres = [folder / v.label if v.label else folder for v in demo.variants]
    jobs = [
        (load_scenario(demo.path, overrides=v.overrides), seed, where, report)
        for v, where in zip(demo.variants, wheres, strict=True)
    ]
    workers = min(len(jobs), processes())
    if workers < 2:
        done = [run_to_folder(*job, progress=progress) for job in jobs]
    else:
        done = _pooled(jobs, workers, progress, demo.figure)
    triples = zip(demo.variants, done, wheres, strict=True)
    return [Run(variant.label, result, where) for variant, result, where in triples]


def _pooled(
    jobs: list[tuple[Scenario, int, Path, bool]], workers: int, progress: bool, figure: bool
) -> list[SimulationResult]:
    """`run_to_folder` of each job on a pool of `workers` forked processes, in order; with
    `figure`, this process loads matplotlib meanwhile (the takeaway draws a figure)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    context = multiprocessing.get_context("fork")  # before any thread starts (the bar's)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(run_to_folder, *job) for job in jobs]
        if figure:
            import simchain.report.figure  # noqa: F401
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=out,
            disable=not progress,
            transient=True,
        )
        with bar:
            task = bar.add_task(f"runs on {workers} processes", total=len(jobs))
            for future in futures:
                future.result()
                bar.advance(task)
        return [future.result() for future in futures]


def comparison_table(
    comparison: pd.DataFrame, baseline: str, title: str, params: Sequence[str] = ()
) -> Table:
    """Each variant's mean per metric and its paired difference from the baseline."""
    table = Table(title=title, title_justify="left")
    sweep = comparison["point"].nunique() > 1 if len(comparison) else False
    for col in ("metric", *(("point",) if sweep else ()), "variant"):
        table.add_column(col)
    table.add_column("mean", justify="right")
    table.add_column(f"vs {baseline} (95 % CI)", justify="right")
    table.add_column("n", justify="right")
    table.add_column("rank", justify="right")
    for r in comparison.to_dict("records"):
        metric = str(r["metric"])
        d_mean, d_half = float(r["diff_mean"]), float(r["diff_ci_half_width"])
        if r["variant"] == baseline:
            diff = "baseline"
        elif math.isnan(d_half):
            diff = format_kpi(metric, d_mean)
        else:
            diff = f"{format_kpi(metric, d_mean)} ± {format_kpi(metric, d_half)}"
        point = ", ".join(f"{'.'.join(p.split('.')[-2:])}={r[p]}" for p in params)
        row = [metric, *((point or str(r["point"]),) if sweep else ()), str(r["variant"])]
        mean = format_kpi(metric, float(r["mean"]))
        table.add_row(*row, mean, diff, str(r["n_pairs"]), str(r["rank"]))
    return table


def cmd_experiment(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from simchain.experiment.runner import run_experiment
    from simchain.experiment.spec import load_experiment, resolve

    exp = load_experiment(resolve(args.experiment))
    folder = Path(args.out) if args.out else Path("results") / exp.spec.name
    show = out.is_terminal and not args.quiet
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, {task.fields[failures]} failed"),
        TimeRemainingColumn(),
        console=out,
        disable=not show,
    )
    task = bar.add_task(exp.spec.name, total=None, failures=0)

    def progress(done: int, total: int, failures: int) -> None:
        bar.update(task, completed=done, total=total, failures=failures)

    with bar:
        result = run_experiment(
            exp,
            folder,
            workers=args.workers,
            resume=args.resume,
            progress=progress,
            command=["simchain", *sys.argv[1:]],
            cluster=args.cluster,
        )
    if not args.no_report:
        from simchain.report.experiment import write_experiment_report

        write_experiment_report(folder)
    if not args.quiet:
        baseline = exp.spec.baseline_variant
        title = f"{exp.spec.name}: {exp.spec.replications} replications, seed {exp.spec.seed}"
        out.print(comparison_table(result.comparison, baseline, title, result.params))
        out.print(
            f"{result.ran} runs in {result.wall_time_s:.1f} s"
            + (f" ({result.skipped} already done)" if result.skipped else "")
            + f"; results in {folder}/"
        )
    if result.failures:
        err.print(
            f"{result.failures} of {len(result.runs)} runs failed: see the `error` column "
            f"of {folder}/runs.parquet"
        )
        return 1
    return 0


def summary(sc: Scenario) -> Table:
    cal = sc.calendar
    table = Table(
        title=f"{sc.name}: {days(cal.horizon):g} days from {cal.start}, "
        f"warm-up {days(cal.warm_up):g} days",
        title_justify="left",
    )
    table.add_column("block")
    table.add_column("id")
    table.add_column("details")
    for sid, sku_count in (("skus", len(sc.skus)),):
        classes: dict[str, int] = {}
        for s in sc.skus.values():
            classes[s.abc_class or "-"] = classes.get(s.abc_class or "-", 0) + 1
        table.add_row(sid, f"{sku_count}", ", ".join(f"class {k}: {v}" for k, v in classes.items()))
    for name, sup in sc.suppliers.items():
        facts = [f"lead time {sup.lead_time.dist}, mean {days(sup.lead_time.mean_value()):.1f} d"]
        if sup.capacity_per_day:
            facts.append(f"{sup.capacity_per_day:,.0f} units/day")
        if sup.reliability is not None:
            facts.append(f"{sup.reliability.late_share:.0%} late")
        if sup.defect_share:
            facts.append(f"{sup.defect_share:.1%} defective")
        if sup.min_order_quantity > 1:
            facts.append(f"MOQ {sup.min_order_quantity:,}")
        if sup.outages:
            facts.append(f"{len(sup.outages)} planned outage(s)")
        if sup.random_outages is not None:
            facts.append("random outages")
        table.add_row("supplier", name, ", ".join(facts))
    for name, wh in sc.warehouses.items():
        kinds = sorted({type(sc.policy_for(name, s)).model_fields["kind"].default for s in sc.skus})
        crews = []
        for role in ("pickers", "packers", "receivers"):
            crew = getattr(wh, role)
            if crew is not None:
                crews.append(f"{crew.count} {role}" if crew.count else f"{role} in shifts")
        if wh.pickers is not None and wh.pickers.method != "discrete":
            crews[0] += f" ({wh.pickers.method.replace('_', '-')} picking)"
        ops = "; ".join(crews) if crews else "no picking stage"
        if wh.storage_capacity is not None:
            ops += f"; room for {wh.storage_capacity:,} units"
        if wh.priority != "fifo":
            ops += f"; {wh.priority.replace('_', ' ')}"
        sources = f"{', '.join(sc.sources(name))} ({wh.sourcing.kind})"
        table.add_row("warehouse", name, f"from {sources}; {ops}; policies {', '.join(kinds)}")
    for name, region in sc.regions.items():
        table.add_row(
            "region",
            name,
            f"{region.demand.orders_per_day:,.0f} orders/day; served by "
            f"{', '.join(region.served_by)}; unmet demand {region.unmet_demand}"
            + "".join(
                f"; {c} {k.share:.0%} within {k.promised_within:g} h"
                for c, k in region.service_classes.items()
            ),
        )
    for name, hub in sc.hubs.items():
        handling = days(hub.handling_time.mean_value())
        table.add_row("hub", name, f"handling {handling:.2g} d; paths by {sc.path_choice}")
    lanes = sum(len(d) for d in sc.lanes.values())
    table.add_row(
        "lanes",
        str(lanes),
        "; ".join(
            f"{o}->{d} {days(lane.transit_time.mean_value()):.2g} d"
            + (f" (+{', '.join(lane.carriers)})" if lane.carriers else "")
            for o, ds in sc.lanes.items()
            for d, lane in ds.items()
        ),
    )
    return table


def cmd_validate(args: argparse.Namespace) -> int:
    path = bundled.resolve(args.scenario)
    sc = load_scenario(path, overrides=args.set or ())
    out.print(summary(sc))
    out.print(f"{path}: valid")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from simchain.scenario.jsonschema import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from simchain.report import write_experiment_report, write_report

    folder = Path(args.folder)
    experiment = (folder / "experiment.json").exists()
    if not (folder / "manifest.json").exists():
        what = (
            "an unfinished experiment folder (no manifest.json): finish it with "
            "`simchain experiment FILE --resume`"
            if experiment
            else "not a complete run folder (no manifest.json) nor an experiment folder "
            "(no experiment.json)"
        )
        err.print(f"error: {escape(str(folder))}: {what}", soft_wrap=True)
        return 2
    if experiment:
        path = write_experiment_report(folder)
    else:
        from simchain.ahead import processes

        path = write_report(folder, workers=min(2, processes()))
    if not args.quiet:
        out.print(f"report: {path} (figures in {folder / 'figures'}/)")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    table = Table(title="Bundled scenarios", title_justify="left")
    table.add_column("name")
    table.add_column("file")
    table.add_column("what it shows")
    for name, path in bundled.bundled().items():
        table.add_row(name, str(path), bundled.describe(path))
    out.print(table)
    return 0


def cmd_policies(args: argparse.Namespace) -> int:
    from simchain.policies import carriers, routing, sourcing, stocking

    for registry in (stocking, sourcing, routing, carriers):
        table = Table(title=f"{registry.family} policies", title_justify="left")
        table.add_column("kind")
        table.add_column("parameters")
        table.add_column("what it does")
        for kind, doc in registry.describe():
            params = [n for n in registry.kinds[kind].model_fields if n != "kind"]
            table.add_row(kind, ", ".join(params) or "-", doc)
        out.print(table)
    return 0


def _scenario_arguments(p: argparse.ArgumentParser) -> None:
    """What every verb that simulates one scenario takes: the scenario, --seed, --set, --days."""
    p.add_argument("scenario", help="a scenario file, or the name of a bundled scenario")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--set",
        action="append",
        metavar="PATH=VALUE",
        help="override a scenario value, e.g. warehouses.hz_dc.pickers.count=4 (repeatable)",
    )
    p.add_argument("--days", type=float, help="shorten (or lengthen) the horizon to N days")


def _no_report_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-report", action="store_true", help="skip report.html and figures/ (faster)"
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="simchain",
        description="Discrete-event simulation of e-commerce supply chains.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(sub)
    _add_animate(sub)
    _add_experiment(sub)
    val = sub.add_parser("validate", help="check a scenario file and summarise its network")
    val.add_argument("scenario")
    val.add_argument("--set", action="append", metavar="PATH=VALUE")
    val.set_defaults(func=cmd_validate)
    sub.add_parser("schema", help="print the JSON Schema of scenario files").set_defaults(
        func=cmd_schema
    )
    _add_report(sub)
    _add_demo(sub)
    sub.add_parser("scenarios", help="list bundled scenarios").set_defaults(func=cmd_scenarios)
    sub.add_parser("policies", help="list registered policy kinds").set_defaults(func=cmd_policies)
    return p


def _add_run(sub: Verbs) -> None:
    """`simchain run`: one scenario simulated into a run folder."""
    run = sub.add_parser(
        "run",
        help="simulate a scenario and write a run folder",
        description="Simulate a scenario, print its KPIs and write the run "
        "folder (kpis.csv, tables as parquet, scenario.yaml, manifest.json).",
    )
    _scenario_arguments(run)
    run.add_argument("--out", help="run folder (default results/<scenario>-seed<seed>)")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    _no_report_argument(run)
    run.set_defaults(func=cmd_run)


def _add_animate(sub: Verbs) -> None:
    """`simchain animate`: one scenario simulated into a GIF or MP4 of its network."""
    ani = sub.add_parser(
        "animate",
        help="simulate a scenario and write an animation of the network (GIF or MP4)",
        description="Simulate a scenario and animate its network over time: stock and "
        "queues at each warehouse, goods in transit on each lane, the clock and the calendar "
        "event in force. Writes .gif (Pillow) or .mp4 (needs ffmpeg on the PATH).",
    )
    _scenario_arguments(ani)
    ani.add_argument("--out", default="demo.gif", help="output file, .gif or .mp4 (demo.gif)")
    ani.add_argument(
        "--step",
        help="simulated time per frame, e.g. 6h or 30min (default: a run of about 20 s)",
    )
    ani.add_argument("--fps", type=int, default=10, help="frames per second (default 10)")
    ani.add_argument("--quiet", action="store_true", help="print nothing on success")
    ani.set_defaults(func=cmd_animate)


def _add_experiment(sub: Verbs) -> None:
    """`simchain experiment`: an experiment file's runs, in parallel, into its folder."""
    exp = sub.add_parser(
        "experiment",
        help="run an experiment: variants x parameter points x replications",
        description="Run every run of an experiment file in parallel and write "
        "results/<experiment>/: one part per run, runs.parquet, summary.csv, comparison.csv, "
        "the scenario of each variant, manifest.json, report.html and figures/.",
    )
    exp.add_argument("experiment", help="an experiment file, or the name of a bundled one")
    exp.add_argument("--workers", type=int, help="processes (default: all cores; 1: in-process)")
    exp.add_argument(
        "--cluster",
        help="run on a Dask scheduler (tcp://HOST:8786) or a local Dask cluster (local:N); "
        "needs simchain[dask]",
    )
    exp.add_argument("--resume", action="store_true", help="run only the runs not yet done")
    exp.add_argument("--out", help="experiment folder (default results/<experiment>)")
    exp.add_argument("--quiet", action="store_true", help="print nothing on success")
    _no_report_argument(exp)
    exp.set_defaults(func=cmd_experiment)


def _add_report(sub: Verbs) -> None:
    """`simchain report`: the report of a run or experiment folder, drawn again."""
    rep = sub.add_parser(
        "report", help="draw a run or experiment folder's figures and write report.html"
    )
    rep.add_argument(
        "folder", help="a run folder (simchain run) or an experiment folder (simchain experiment)"
    )
    rep.add_argument("--quiet", action="store_true", help="print nothing")
    rep.set_defaults(func=cmd_report)


def _add_demo(sub: Verbs) -> None:
    """`simchain demo`: the classroom demos, listed or run one at a time."""
    demo = sub.add_parser(
        "demo",
        help="classroom demos: list them, or run one with its explanation and takeaway",
        description="Without NAME, list the teaching demos. With NAME, explain what the class "
        "is about to see, run the teaching scenario (a run folder with report.html, as "
        "`simchain run` writes) and print a takeaway quoting the run's own numbers.",
    )
    demo.add_argument("name", nargs="?", help="the demo to run (omit to list them)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--out", help="demo folder (default results/demo-<name>-seed<seed>)")
    demo.add_argument(
        "--quiet", action="store_true", help="print only the takeaway, not the explanation"
    )
    _no_report_argument(demo)
    demo.set_defaults(func=cmd_demo)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: this process's own); returns the exit code.

    As the program itself (no `argv`), the garbage collector leaves alone the objects loaded
    before the command (modules, classes, the scenario models: no collection during the run
    walks them again), and, at the end, those the command made: the interpreter's last
    collection over them (about a quarter of a second once pandas and a run are loaded) is
    skipped; the process's exit frees them all the same."""
    if argv is None:
        gc.freeze()
    code = _command(argv)
    if argv is None:
        gc.freeze()
    return code


def _command(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except ScenarioError as exc:
        err.print(f"[bold red]error:[/] {escape(exc.render())}", markup=True, soft_wrap=True)
        return 2
    except UsageError as exc:
        err.print(f"error: {escape(str(exc))}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:
        if os.environ.get("SIMCHAIN_DEBUG"):
            traceback.print_exc()
        err.print(
            escape(f"internal error: {type(exc).__name__}: {exc}\n")
            + "(set SIMCHAIN_DEBUG=1 for the traceback; please report it)"
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
