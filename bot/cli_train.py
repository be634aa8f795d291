"""`salesrl train`: learn a policy from a dataset (synthetic calls or a team's closed deals)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from salesrl.agent.training.config import TrainingConfig
from salesrl.bot.cli_app import app, check_input_file, fail

DEFAULTS = TrainingConfig()


def train_command(data: Path, out: Path, opts: TrainingConfig, embedder: str | None, cache: Path | None,
                  sequence_data: Path | None = None, prior: str = "shipped") -> str:
    """The command that trains this model again, every option spelled out: the model card records it, and
    a later change of a default must not change what it means."""
    args = ["train", "--data", str(data), "--out", str(out), "--algo", opts.algo, "--seed", str(opts.seed),
            "--epochs", str(opts.epochs), "--members", str(opts.members), "--lambda", str(opts.lam),
            "--target", opts.target, "--prior", prior]
    if sequence_data:
        args += ["--sequence-data", str(sequence_data)]
    if opts.algo == "ppo":
        args += ["--ppo-steps", str(opts.ppo_steps)]
    if embedder:
        args += ["--embedder", embedder]
    if cache:
        args += ["--cache", str(cache)]  # changes nothing in the model, only how long the embedding takes
    return "salesrl " + " ".join(shlex.quote(a) for a in args)


@app.command()
def train(
    data: Path = typer.Option(..., "--data", help="Dataset JSONL (from `salesrl synth` or `salesrl export`)."),
    out: Path = typer.Option(..., "--out", help="Model directory to write (policy.onnx, metadata.json, MODEL_CARD.md), "
                                                "whole or not at all."),
    algo: str = typer.Option(DEFAULTS.algo, "--algo", help="td, ppo, or supervised (the baseline)."),
    embedder: Optional[str] = typer.Option(None, "--embedder", help="minilm (default), openai:MODEL or azure:DEPLOYMENT."),
    seed: int = typer.Option(DEFAULTS.seed, "--seed"),
    epochs: int = typer.Option(DEFAULTS.epochs, "--epochs",
                               help="Most epochs for td/supervised (early stopping on a held-out 10%)."),
    members: int = typer.Option(DEFAULTS.members, "--members", help="Ensemble size (the uncertainty is their spread)."),
    lam: float = typer.Option(DEFAULTS.lam, "--lambda", help="TD(lambda) bootstrapping; 1.0 is the Monte-Carlo target."),
    ppo_steps: int = typer.Option(DEFAULTS.ppo_steps, "--ppo-steps", help="Environment steps per PPO ensemble member."),
    target: str = typer.Option(DEFAULTS.target, "--target", help="What a call's last turn is scored against: "
                               "expected (the recorded final p_true where the data has one, as synthetic calls do; "
                               "else the outcome) or outcome."),
    sequence_data: Optional[Path] = typer.Option(
        None, "--sequence-data", help="Labelled calls (from `salesrl synth`) that train only the sequence score: "
        "they are not embedded, so many more fit in the training time (the model card says what it traded)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Directory to cache turn embeddings between runs."),
    prior: str = typer.Option("shipped", "--prior", help="shipped, none, or a model directory: the model the selection "
                              "may use as a prior (its logit a feature) and compares the team model with."),
    force: bool = typer.Option(False, "--force", help="Replace the model in --out even when the team model is not "
                               "better than the prior in cross-validation."),
) -> None:
    """Train the agent and export an ONNX policy that `salesrl score --model DIR` loads."""
    try:
        import torch  # noqa: F401
    except ImportError:
        fail("training needs the [train] extra: pip install 'salesrl[train]'")
    from salesrl.agent.dataset import read_dataset
    from salesrl.agent.embedder import load_embedder
    from salesrl.agent.errors import DatasetError, ModelError
    from salesrl.agent.policy import DEFAULT_MODEL_DIR
    from salesrl.agent.sales_agent import SalesAgent
    from salesrl.agent.training.pipeline import ALGOS, run
    from salesrl.agent.training.replace import check_replaceable
    from salesrl.agent.training.selection import check_outcomes
    from salesrl.agent.training.states import TARGETS

    if algo not in ALGOS:
        fail(f"--algo must be one of {', '.join(ALGOS)}")
    if target not in TARGETS:
        fail(f"--target must be one of {', '.join(TARGETS)}")
    for path in (data, sequence_data):
        if path is not None:
            check_input_file(path)
    # --out is written after minutes of training: a path that cannot be a model directory fails now. The model
    # is built beside it and renamed into place (agent.training.replace), so it is its parent that gets written.
    try:
        out_dir = check_replaceable(out)
    except ModelError as e:
        fail(f"--out {e}")
    existing = next(p for p in out_dir.parents if p.exists())  # the first that exists: what gets written in
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        fail(f"--out {out}: cannot write there ({existing} is {'not writable' if existing.is_dir() else 'a file'})")
    try:
        check_outcomes(read_dataset(str(data), labelled=True), str(data))
    except DatasetError as e:
        fail(str(e))
    prior_dir = None if prior == "none" else DEFAULT_MODEL_DIR if prior == "shipped" else Path(prior)
    if prior_dir is not None and prior_dir.resolve() == out.resolve():
        fail(f"--prior {prior} is the model --out replaces; retrain it with --prior none")
    opts = TrainingConfig(algo=algo, seed=seed, members=members, epochs=epochs, lam=lam, ppo_steps=ppo_steps,
                        target=target)
    emb = load_embedder(embedder, threads=os.cpu_count() or 1)  # one job at a time: all cores
    prior_agent = None
    if prior_dir is not None:
        try:
            prior_agent = SalesAgent.load(prior_dir, embedder=emb)
        except ModelError as e:
            if prior != "shipped":  # a model asked for by name is not silently left out
                fail(f"--prior {prior}: {e}")
            typer.echo(f"no prior: {e}", err=True)
    command = train_command(data, out, opts, embedder, cache, sequence_data, prior)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[info]}")) as bar:
        embed_task = bar.add_task("embedding turns", total=None, info="")
        fit_task = bar.add_task(f"training ({algo})", total=epochs if algo != "ppo" else min(members, 3), info="")

        def on_embed(n: int) -> None:
            bar.advance(embed_task, n)

        def on_epoch(i: int, entry: dict) -> None:
            vb = entry.get("val_brier")
            info = f"val Brier {vb:.4f}" if isinstance(vb, float) else ""
            bar.update(fit_task, completed=i, info=info)
            bar.console.log(f"{algo} {i}: {info}")

        meta = run(str(data), str(out), opts, emb, command, cache=cache, embed_progress=on_embed,
                   epoch_progress=on_epoch, stage=bar.console.log,
                   sequence_data=str(sequence_data) if sequence_data else None, prior=prior_agent, force=force,
                   report=typer.echo)
        bar.update(embed_task, total=bar.tasks[embed_task].completed)
    if not meta["written"]:
        typer.echo(f"not written: {out} keeps its model (the team model is not better; --force replaces it)")
        return
    typer.echo(f"wrote {out} ({meta['id']}, {meta['training']['seconds']} s)")
