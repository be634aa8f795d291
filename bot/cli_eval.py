"""`salesrl eval`: a model's probabilities on a labelled dataset, by stage and turn, beside the TF-IDF baseline
and the oracle; Markdown tables, JSON, and a reliability diagram."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any, Optional

import typer

from salesrl.bot.cli_app import PendingFile, app, check_input_file, fail

METRIC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("auc", "AUC"), ("brier", "Brier"), ("log_loss", "log-loss"), ("accuracy", "accuracy"), ("ece", "ECE"),
)


def _cell(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    align = ["---" if h in ("stage", "source") else "---:" for h in header]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |",
            *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)]


def _plus_minus(value: float | None, half_width: float | None) -> str:
    """A gap and its 95% half-width; the half-width is None (rounded NaN) with a single conversation."""
    if value is None:
        return "–"
    return f"{value:.4f}" if half_width is None else f"{value:.4f} ± {half_width:.4f}"


def render_markdown(report: dict[str, Any]) -> str:
    d, m = report["data"], report["model"]
    lines = [f"# Evaluation of `{m.get('id')}` ({m.get('algo')}) on `{d['file']}`", "",
             f"{d['conversations']} conversations, {d['turns']} turns, {d['positive_rate']:.1%} converted. "
             f"Stage s = the {report['stage_definition']}.", ""]
    if "baseline" in report:
        b = report["baseline"]
        lines += [f"Baseline: {b['kind']}, C = {b['C']}, trained on `{b['file']}` "
                  f"({b['conversations']} conversations).", ""]

    lines += ["## By stage", ""]
    rows = []
    for stage, entry in report["stages"].items():
        for who in ("model", "baseline", "oracle"):
            if who in entry:
                e = entry[who]
                rows.append([stage, who, e["n"], *(e[k] for k, _ in METRIC_COLUMNS)])
    lines += _table(["stage", "source", "n", *(name for _, name in METRIC_COLUMNS)], rows) + [""]
    gaps = []
    for stage, entry in report["stages"].items():
        if "gap_to_oracle" in entry:
            g = entry["gap_to_oracle"]
            gaps.append([stage, g["auc"], _plus_minus(g["brier"], g["brier_ci95"]),
                         _plus_minus(g["brier_expected"], g["brier_expected_ci95"]), g["log_loss"]])
    if gaps:
        lines += ["Gap to the oracle (the data's latent p_true; 0 is the best any model can do). \"Expected\" is "
                  "the Brier gap in expectation over the coin flip that drew each outcome from the call's final "
                  "p_true: the same quantity without the outcomes' noise. ± is a 95% interval.", ""]
        lines += _table(["stage", "AUC below", "Brier above", "Brier above, expected", "log-loss above"], gaps) + [""]

    lines += ["## Selective accuracy (keep the least uncertain)", ""]
    coverages = list(next(iter(report["stages"].values()))["selective_accuracy"])
    lines += _table(["stage", *(f"{c} coverage" for c in coverages)],
                    [[stage, *e["selective_accuracy"].values()] for stage, e in report["stages"].items()]) + [""]

    lines += ["## By turn index", "",
              "The prediction after turn t over the calls that have a turn t: what the agent is asked live, "
              "without knowing how many turns will follow.", ""]
    if report["per_turn"]:
        rows = []
        for r in report["per_turn"]:
            rows.append([r["turn"], "model", r["n"], *(r[k] for k, _ in METRIC_COLUMNS)])
            if "baseline" in r:
                rows.append([r["turn"], "baseline", r["n"], *(r["baseline"][k] for k, _ in METRIC_COLUMNS)])
        lines += _table(["turn", "source", "n", *(name for _, name in METRIC_COLUMNS)], rows) + [""]
    else:
        lines += ["(too few conversations per turn index)", ""]

    if "ood" in report:
        o = report["ood"]
        lines += ["## Out of domain", "",
                  f"Positives: `{o['file']}` ({o['conversations']} conversations); score: the final turn's "
                  "distance from the training states.", ""]
        lines += _table(["AUROC", "mean in-distribution (data / ood)", "flagged unfamiliar (data / ood)"],
                        [[o["auroc"],
                          f"{_cell(o['mean_in_distribution']['data'])} / {_cell(o['mean_in_distribution']['ood'])}",
                          f"{_cell(o['flagged_unfamiliar']['data'])} / {_cell(o['flagged_unfamiliar']['ood'])}"]]) + [""]

    lat = report["latency"]
    lines += ["## Latency (ms per turn, one turn at a time)", ""]
    lines += _table(["turns timed", "embedding", "state + policy", "policy alone", "total", "total p95"],
                    [[lat["turns"], lat["embed_ms"], lat["step_ms"], lat["policy_ms"], lat["total_ms"],
                      lat["total_p95_ms"]]])
    return "\n".join(lines) + "\n"


def render_reliability_png(report: dict[str, Any]) -> bytes:
    """Reliability diagram at the 100% stage: the model, the baseline when fitted, and the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rel = report["reliability"]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfect calibration")
    for who, style in (("model", "o-"), ("baseline", "s-")):
        if who not in rel:
            continue
        r = rel[who]
        pts = [(mp, pr) for mp, pr, c in zip(r["mean_probability"], r["positive_rate"], r["count"]) if c]
        if pts:
            xs, ys = zip(*pts)
            ece = report["stages"][rel["stage"]][who]["ece"]
            ax.plot(xs, ys, style, label=f"{who} (ECE {_cell(ece)})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability (10 bins)")
    ax.set_ylabel("share converted")
    ax.set_title(f"Reliability at the {rel['stage']} stage — {report['data']['file']}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


@app.command("eval")
def eval_command(
    model: Optional[Path] = typer.Option(None, "--model", help="Model directory (default: the shipped model)."),
    data: Path = typer.Option(..., "--data", help="Labelled dataset JSONL to evaluate on (every line has an outcome)."),
    train: Optional[Path] = typer.Option(None, "--train", help="Also fit the TF-IDF baseline on this dataset and compare."),
    ood: Optional[Path] = typer.Option(None, "--ood", help="Out-of-domain dataset: AUROC of the in-distribution score."),
    fmt: str = typer.Option("md", "--format", help="md (Markdown tables) or json."),
    png: Optional[Path] = typer.Option(None, "--png", help="Write a reliability diagram (100% stage) to this PNG."),
    max_turn: int = typer.Option(20, "--max-turn", help="Most turn indices in the per-turn table."),
    min_conversations: int = typer.Option(30, "--min-conversations",
                                          help="Fewest conversations a turn index needs to get a row."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Directory to cache turn embeddings between runs."),
) -> None:
    """Evaluate a model: AUC, Brier, log-loss, accuracy, ECE by stage and turn; baseline, oracle, OOD, latency."""
    if fmt not in ("md", "json"):
        fail(f"--format must be md or json, not {fmt!r}")
    for label, path in (("--data", data), ("--train", train), ("--ood", ood)):
        if path is not None:
            check_input_file(path, label)
    if train is not None:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            fail("the --train baseline needs scikit-learn: pip install 'salesrl[train]'")
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.training.evaluate import evaluate
    from salesrl.bot.settings import get_settings

    def say(msg: str) -> None:
        typer.echo(f"salesrl eval: {msg}", err=True)

    with contextlib.ExitStack() as stack:
        # a --png that cannot be written fails now, not after the evaluation
        diagram = stack.enter_context(PendingFile(png, "--png")) if png is not None else None
        agent = SalesAgent.load(model or get_settings().model_dir)
        report = evaluate(agent, str(data), train=str(train) if train else None, ood=str(ood) if ood else None,
                          max_turn=max_turn, min_conversations=min_conversations, cache=cache, progress=say)
        if diagram is not None:
            diagram.commit(render_reliability_png(report))
    if fmt == "json":
        typer.echo(json.dumps(report))
    else:
        typer.echo(render_markdown(report), nl=False)
