"""Fine-tune the sentence encoder on the knowledge base's titles and example questions.

    .venv/bin/python bench/kb_tune -o DIR [--epochs 3] [--seed 0] [--lang en]

`trialbot kb tune` does the same for the product, into KB_ENCODER_DIR. Measure a result with
`.venv/bin/python bench/kb_eval --encoder DIR --calibrate --skip-latency --hide-held-out`,
which grid-searches the calibration half and shows that half only, so that the held-out half
stays unread until a tuned encoder is adopted. See bot/knowledge/tuning.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.knowledge.embeddings import default_model_path  # noqa: E402
from bot.knowledge.entries import load_faq  # noqa: E402
from bot.knowledge.tuning import phrasing_pairs, tune_encoder  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, required=True, help="folder for the tuned model")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the phrasings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lang", action="append", help="only these languages' entries")
    args = parser.parse_args()
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    console = Console(stderr=True)
    settings = Settings()
    loaded = load_faq(settings.knowledge_dir)
    if loaded.problems:
        for problem in loaded.problems:
            console.print(f"[red]{problem.render(settings.knowledge_dir)}[/]", markup=True)
        raise SystemExit(1)
    entries = [e for e in loaded.entries if not args.lang or e.lang in args.lang]
    base = settings.embedding_model or default_model_path()
    pairs = phrasing_pairs(entries, args.seed)
    console.print(f"{len(pairs)} phrasings of {len({p.group for p in pairs})} topics, from {base}")
    started = time.monotonic()
    columns = (TextColumn("tuning"), BarColumn(), TextColumn("{task.fields[loss]}"))
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("tuning", total=None, loss="")

        def step(done: int, total: int, loss: float) -> None:
            progress.update(task, completed=done, total=total, loss=f"loss {loss:.3f}")

        tune_encoder(
            loaded.entries, base, args.out, epochs=args.epochs, seed=args.seed, progress=step
        )
    console.print(f"saved in {args.out} after {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
