"""Deep-tier benchmark: binary sentiment 5-fold CV fast vs fast + deep, the deep tier's speed and share,
paraphrase catching, memory with both tiers.

    .venv/bin/python bench/analysis_deep_bench.py                      # everything
    .venv/bin/python bench/analysis_deep_bench.py --no-cv              # speed, share, paraphrases, memory
    .venv/bin/python bench/analysis_deep_bench.py --uncertain 150      # uncertain texts embedded per corpus

CV protocol (the training pool of split.md only, de-duplicated across corpora, folds stratified by
corpus and label as in analysis_bench.py): per fold the fast model is fitted on the other folds
(one SVM fit, no Platt fit: the shipped model's Platt constants are used, to save CPU on a shared
machine) and the full analyser scores the whole test fold. The deep tier only ever sees the texts
whose fast score is in [0.2, 0.8]; the encoder is too slow here to embed all of them, so a random
sample of `--uncertain` of them per corpus is embedded, the stacking weight beta is chosen by an
inner 5-fold CV on that sample, and the fast + deep accuracy is estimated as
    fast accuracy (full folds) + share of uncertain texts × accuracy gain on the sample.
The deep sentiment head is trained on texts disjoint from the evaluated ones (the labelled set's written
texts and a fixed corpus sample, see deep_training.corpus_sample).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BETAS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def cross_validate(folds: int, seed: int, per_corpus: int) -> None:
    """Prints the running figures after every fold, so that a run cut short still reports what it measured."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from feedbackloop.analysis import encoder as enc
    from feedbackloop.analysis.analyzer import Analyzer
    from feedbackloop.analysis.deep_training import corpus_sample
    from feedbackloop.analysis.model import load_model
    from feedbackloop.analysis.training import fit, load_corpora, prepare
    from feedbackloop.analysis.triage_training import read_labelled

    shipped = load_model()
    examples = load_corpora()
    texts = [e.text for e in examples]
    y = np.array([e.label for e in examples])
    corpus = np.array([e.corpus for e in examples])
    print(f"training pool after cross-corpus de-duplication: {dict(Counter(corpus.tolist()))} (total {len(y)})")
    # The deep head, trained on texts disjoint from the evaluated ones.
    train_texts, train_y = [], []
    for i in read_labelled():
        if i.source == "written" and i.sentiment in ("positive", "negative"):
            train_texts.append(i.text)
            train_y.append(int(i.sentiment == "positive"))
    sample = corpus_sample()
    train_texts += [t for t, _, _ in sample]
    train_y += [lab for _, lab, _ in sample]
    excluded = set(train_texts)
    E_train = enc.embed(train_texts)
    if E_train is None:
        print(f"deep tier unavailable: {enc.unavailable_reason()}")
        return
    head = LogisticRegression(C=4.0, max_iter=3000).fit(E_train, np.array(train_y))
    docs = prepare(texts)
    strat = np.array([f"{c}:{label}" for c, label in zip(corpus, y, strict=True)])
    rng = np.random.default_rng(seed)
    names = ("chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats")
    targets = {"chnsenticorp_htl": 0.915, "waimai_10k": 0.91, "online_shopping_10_cats": 0.945}
    fast_acc: dict[str, list[float]] = defaultdict(list)
    share: dict[str, list[float]] = defaultdict(list)
    s_fast: dict[str, list[float]] = defaultdict(list)  # fast logit, deep logit, gold of the sampled uncertain texts
    s_deep: dict[str, list[float]] = defaultdict(list)
    s_gold: dict[str, list[int]] = defaultdict(list)
    per_fold = max(1, per_corpus // folds)
    for k, (tr, te) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, strat)):
        t0 = time.time()
        model = fit([docs[i] for i in tr], y[tr], version=f"cv-{k}", explain_names=False, calibrate=False,
                    domains=[examples[i].domain for i in tr])
        model.platt = shipped.platt
        score = np.array([a.sentiment.score for a in
                          Analyzer(model=model, triage=None).analyze_many([texts[i] for i in te])])
        for name in names:
            m = corpus[te] == name
            fast_acc[name].append(float(((score[m] >= 0.5).astype(int) == y[te][m]).mean()))
            unc = m & (score >= 0.2) & (score <= 0.8)
            share[name].append(float(unc[m].mean()))
            pool = [j for j in np.flatnonzero(unc) if texts[te[j]] not in excluded]
            pick = rng.choice(len(pool), size=min(per_fold, len(pool)), replace=False).tolist()
            rows = [pool[j] for j in pick]
            E = enc.embed([texts[te[j]] for j in rows])
            assert E is not None
            sc = np.clip(score[rows], 1e-6, 1 - 1e-6)
            s_fast[name] += np.log(sc / (1 - sc)).tolist()
            s_deep[name] += (E @ head.coef_.ravel() + head.intercept_[0]).tolist()
            s_gold[name] += y[te][rows].tolist()
        print(f"  fold {k + 1}/{folds} fitted, scored and its uncertain sample embedded in {time.time() - t0:.0f}s",
              flush=True)
        _report(k + 1, folds, names, targets, fast_acc, share, s_fast, s_deep, s_gold, seed)


def _report(done: int, folds: int, names: tuple[str, ...], targets: dict[str, float], fast_acc: dict, share: dict,
            s_fast: dict, s_deep: dict, s_gold: dict, seed: int) -> None:
    from sklearn.model_selection import KFold

    print(f"\nSentiment accuracy after {done} of {folds} folds (training pool; positive = score >= 0.5)")
    header = (f"{'corpus':<26}{'fast (test folds)':>18}{'uncertain':>11}{'sample':>8}{'fast on sample':>16}"
              f"{'fast+deep on sample':>21}{'fast+deep (est.)':>18}{'target':>8}")
    print(header)
    print("-" * len(header))
    out = {}
    for name in names:
        f, d, g = np.array(s_fast[name]), np.array(s_deep[name]), np.array(s_gold[name])
        correct = np.zeros(len(g), dtype=bool)
        chosen = []
        if len(g) >= 10:
            for tr, te in KFold(5, shuffle=True, random_state=seed).split(g):
                accs = [np.mean(((f[tr] + b * d[tr]) >= 0) == g[tr]) for b in BETAS]
                b = BETAS[int(np.argmax(accs))]
                chosen.append(b)
                correct[te] = ((f[te] + b * d[te]) >= 0) == g[te]
        fast_on = float(np.mean((f >= 0) == g)) if len(g) else float("nan")
        deep_on = float(np.mean(correct)) if len(g) >= 10 else float("nan")
        full = float(np.mean(fast_acc[name]))
        sh = float(np.mean(share[name]))
        est = full + sh * (deep_on - fast_on)
        out[name] = {"fast": round(full, 4), "fast_deep_est": round(est, 4), "uncertain_share": round(sh, 3),
                     "sample": len(g), "fast_on_sample": round(fast_on, 4), "deep_on_sample": round(deep_on, 4),
                     "betas": chosen}
        print(f"{name:<26}{full:>18.4f}{sh:>11.3f}{len(g):>8}{fast_on:>16.4f}{deep_on:>21.4f}{est:>18.4f}"
              f"{targets[name]:>8.3f}")
    print(json.dumps(out), flush=True)


def deep_speed_and_share(n_share: int) -> None:
    import resource

    from feedbackloop.analysis import analyze_many
    from feedbackloop.analysis import encoder as enc
    from feedbackloop.analysis.training import load_corpora

    reason = enc.unavailable_reason()
    if reason:
        print(f"deep tier unavailable: {reason}")
        return
    ex = load_corpora()
    rng = np.random.default_rng(7)
    by_corpus: dict[str, list[str]] = defaultdict(list)
    for e in ex:
        by_corpus[e.corpus].append(e.text)
    print("\nShare of texts the fast tier sends to the deep tier (random corpus texts, shipped models)")
    for name, texts in by_corpus.items():
        pick = [texts[i] for i in rng.choice(len(texts), size=min(n_share, len(texts)), replace=False)]
        an = analyze_many(pick)
        reasons = Counter(r for a in an for r in a.deep_reasons)
        share = sum(1 for a in an if a.deep_reasons) / len(an)
        print(f"  {name:<26} {share:.3f} of {len(an)}   reasons {dict(reasons)}")
    # speed, on texts never embedded (a fresh cache), one thread
    previous = os.environ.get(enc.ENV_CACHE)
    os.environ[enc.ENV_CACHE] = tempfile.mkdtemp(prefix="fl-e5-bench-")
    for name, texts in by_corpus.items():
        pick = [texts[i] for i in rng.choice(len(texts), size=40, replace=False)]
        tokens = enc.token_count(pick)
        t0, c0 = time.perf_counter(), time.process_time()
        enc.embed(pick, batch=40)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"  deep tier on {name:<24} {len(pick) / cpu:6.1f} texts per CPU-second, {tokens / cpu:6.0f} tokens "
              f"per CPU-second ({len(pick) / wall:.1f} texts/s wall; texts cut to {enc.MAX_CHARS} chars)")
    if previous is None:
        os.environ.pop(enc.ENV_CACHE)
    else:
        os.environ[enc.ENV_CACHE] = previous
    with open("/proc/self/status", encoding="ascii") as fh:
        rss = next((int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:")),
                   resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"  peak memory with both tiers loaded (VmHWM): {rss:.0f} MB   (target < 800 MB)")


def paraphrases() -> None:
    from feedbackloop.analysis import analyze_many
    from feedbackloop.analysis.deep import deepen

    path = ROOT / "tests" / "analysis" / "data" / "safety_paraphrases.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    texts = [r["text"] for r in rows]
    fast = analyze_many(texts)
    deep = deepen(texts, fast)
    print(f"\nSafety paraphrases ({path.relative_to(ROOT)}: 30 urgent cases in wordings absent from the training"
          " set, 30 non-urgent controls)")
    for name, an in (("fast", fast), ("fast+deep", deep)):
        u = [a.urgency == "紧急" for r, a in zip(rows, an, strict=True) if r["urgency"] == "紧急"]
        c = [a.urgency == "紧急" for r, a in zip(rows, an, strict=True) if r["urgency"] != "紧急"]
        print(f"  {name:<10} 紧急 recall {sum(u)}/{len(u)} = {sum(u) / len(u):.3f}; false alarms {sum(c)}/{len(c)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--uncertain", type=int, default=150, help="uncertain texts embedded per corpus")
    parser.add_argument("--share", type=int, default=1000, help="texts per corpus for the deep-share figure")
    parser.add_argument("--no-cv", action="store_true")
    parser.add_argument("--cv-only", action="store_true")
    args = parser.parse_args()
    if args.cv_only:
        cross_validate(args.folds, args.seed, args.uncertain)
        return
    paraphrases()
    deep_speed_and_share(args.share)
    if not args.no_cv:
        cross_validate(args.folds, args.seed, args.uncertain)


if __name__ == "__main__":
    main()
