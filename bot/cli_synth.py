"""`salesrl synth`: write synthetic sales calls (the training data) as dataset JSONL."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from salesrl.agent.dataset import Conversation, write_dataset
from salesrl.bot.cli_app import PendingFile, app, fail


class _Tally:
    def __init__(self) -> None:
        self.n = 0
        self.positive = 0
        self.turns: list[int] = []
        self.final_p = 0.0
        self.industries: Counter[str] = Counter()

    def count(self, convs: Iterator[Conversation], on_each: Callable[[], None]) -> Iterator[Conversation]:
        for c in convs:
            self.n += 1
            self.positive += c.outcome or 0
            self.turns.append(len(c.turns))
            self.final_p += (c.p_true[-1] or 0.0) if c.p_true else 0.0
            self.industries[str(c.meta.get("industry"))] += 1
            on_each()
            yield c


@app.command()
def synth(
    n: int = typer.Option(1000, "--n", min=1, help="Number of conversations."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same file."),
    out: Path = typer.Option(..., "-o", "--out", help="Output JSONL file (dataset format)."),
    llm: Optional[str] = typer.Option(
        None, "--llm", metavar="MODEL",
        help="Have this OpenAI chat model write the turns (OPENAI_API_KEY, OPENAI_BASE_URL); "
             "the simulator still decides scenario, moves, p_true and outcome.",
    ),
    style: str = typer.Option(
        "calls", "--style", help="calls (spoken turns), notes (the rep's huddle-note bullets), chat (a Slack "
                                 "thread), or mixed (half calls, the rest notes and chat): same calls and outcomes.",
    ),
) -> None:
    """Generate synthetic B2B SaaS sales calls with a latent conversion probability on every turn."""
    from salesrl.agent.synth import iter_conversations
    from salesrl.agent.synth.styles import STYLES, restyle

    if style not in STYLES:
        fail(f"--style must be one of {', '.join(STYLES)}")
    style_rng = random.Random(f"{seed}-style")  # its own stream: the calls themselves do not change with --style

    writer = None
    if llm is not None:
        from salesrl.agent.synth.llm_writer import LLMWriter
        from salesrl.bot.settings import get_settings

        if not llm.strip():
            fail("--llm needs a model name, e.g. --llm gpt-4o-mini")
        settings = get_settings()
        writer = LLMWriter(llm, api_key=settings.openai_api_key, base_url=settings.openai_base_url)
    if out.exists() and out.is_dir():
        fail(f"{out} is a directory; give a file name such as {out / 'synth.jsonl'}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"-o {out}: cannot make its directory ({e.strerror})")

    tally = _Tally()
    start = time.perf_counter()
    with PendingFile(out, "-o") as pending:  # the file appears only when complete
        with Progress(TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("synth", total=n)
            written = (restyle(c, style, style_rng) for c in iter_conversations(n, seed, writer))
            convs = tally.count(written, lambda: bar.advance(task))
            try:
                write_dataset(convs, pending.partial)
            except OSError as e:
                fail(f"-o {out}: cannot write ({e.strerror})")
        pending.commit()
    seconds = time.perf_counter() - start

    typer.echo(f"wrote {tally.n} conversations to {out} in {seconds:.1f} s ({tally.n / max(seconds, 1e-9):.0f}/s)")
    typer.echo(
        f"positive rate {tally.positive / tally.n:.1%}   mean final p_true {tally.final_p / tally.n:.3f}   "
        f"turns mean {sum(tally.turns) / tally.n:.1f} (min {min(tally.turns)}, max {max(tally.turns)})"
    )
    industries = ", ".join(f"{k} {v}" for k, v in sorted(tally.industries.items(), key=lambda kv: (-kv[1], kv[0])))
    typer.echo(f"industries ({len(tally.industries)}): {industries}")
