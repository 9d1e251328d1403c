"""Analysis benchmark: sentiment quality (5-fold CV vs SnowNLP), speed, memory, load time,
problem-type / urgency quality on the hand-labelled evaluation set.

    .venv/bin/python bench/analysis_bench.py            # everything (~15-25 minutes on 2 cores)
    .venv/bin/python bench/analysis_bench.py --no-cv    # speed, memory and rules only

Speed is measured in a child process pinned to one CPU core with OMP/OPENBLAS/MKL threads = 1.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVAL_CSV = ROOT / "tests" / "analysis" / "data" / "problem_urgency_eval.csv"
SNOW_PER_CORPUS = 100  # SnowNLP is slow: 100 texts per corpus per fold, fixed seed


def cross_validate(folds: int, seed: int) -> None:
    from sklearn.model_selection import StratifiedKFold

    from feedbackloop.analysis.analyzer import Analyzer
    from feedbackloop.analysis.training import fit, load_corpora, prepare

    examples = load_corpora()
    texts = [e.text for e in examples]
    y = np.array([e.label for e in examples])
    corpus = np.array([e.corpus for e in examples])
    print(f"corpora after cross-corpus de-duplication: {dict(Counter(corpus.tolist()))} (total {len(y)})")
    t0 = time.time()
    docs = prepare(texts)
    print(f"tokenised in {time.time() - t0:.1f}s")
    strat = np.array([f"{c}:{label}" for c, label in zip(corpus, y, strict=True)])
    rng = np.random.default_rng(seed)
    ours: dict[str, list[float]] = defaultdict(list)
    ours_sub: dict[str, list[float]] = defaultdict(list)
    snow_sub: dict[str, list[float]] = defaultdict(list)
    from snownlp import SnowNLP

    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for k, (tr, te) in enumerate(splitter.split(texts, strat)):
        t0 = time.time()
        model = fit([docs[i] for i in tr], y[tr], version=f"cv-{k}", explain_names=False,
                    domains=[examples[i].domain for i in tr])
        analyses = Analyzer(model=model).analyze_many([texts[i] for i in te])
        pred = np.array([a.sentiment.score >= 0.5 for a in analyses], dtype=int)
        correct = pred == y[te]
        sub_idx: list[int] = []
        for name in sorted(set(corpus.tolist())):
            mask = corpus[te] == name
            ours[name].append(float(correct[mask].mean()))
            pos = np.flatnonzero(mask)
            pick = rng.choice(pos, size=min(SNOW_PER_CORPUS, len(pos)), replace=False)
            sub_idx.extend(pick.tolist())
            snow = np.array([SnowNLP(texts[te[i]]).sentiments >= 0.5 for i in pick], dtype=int)
            snow_sub[name].append(float((snow == y[te[pick]]).mean()))
            ours_sub[name].append(float(correct[pick].mean()))
        print(f"  fold {k + 1}/{folds} done in {time.time() - t0:.0f}s", flush=True)
    print(f"\nSentiment accuracy, {folds}-fold CV, ONE model for all corpora (positive = score >= 0.5)")
    print(f"SnowNLP on a fixed random subsample of {SNOW_PER_CORPUS} texts per corpus per fold "
          f"({SNOW_PER_CORPUS * 3} per fold); ours on the same subsample shown beside it.")
    header = f"{'corpus':<26}{'ours (full folds)':>20}{'ours (subsample)':>19}{'SnowNLP (subsample)':>22}{'target':>8}"
    print(header)
    print("-" * len(header))
    targets = {"chnsenticorp_htl": 0.92, "waimai_10k": 0.91, "online_shopping_10_cats": 0.95}
    for name in sorted(ours):
        o, s = np.array(ours[name]), np.array(snow_sub[name])
        print(f"{name:<26}{o.mean():>13.4f} ±{o.std():.3f}{np.mean(ours_sub[name]):>19.4f}"
              f"{s.mean():>15.4f} ±{s.std():.3f}{targets.get(name, 0):>8.2f}")


def _peak_rss_mb(resource) -> float:  # noqa: ANN001 - the resource module
    """Peak RSS of this process. ru_maxrss survives fork+exec (the child would report the CV
    parent's peak), so prefer VmHWM, which starts afresh with the new address space."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def speed_child() -> None:
    """Runs in a fresh process: load time, throughput on one core, peak memory."""
    import resource

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from feedbackloop.analysis.training import load_corpora

    texts = [e.text for e in load_corpora()]
    rng = np.random.default_rng(1)
    sample = [texts[i] for i in rng.choice(len(texts), size=6000, replace=False)]
    t0, c0 = time.perf_counter(), time.process_time()
    from feedbackloop.analysis import analyze, analyze_many, current_model_version

    analyze("预热：加载模型和分词词典")
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    analyze_many(sample[:500])  # warm caches
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for start in range(500, len(sample), 500):
        n += len(analyze_many(sample[start : start + 500]))
    rate, rate_cpu = n / (time.perf_counter() - t0), n / (time.process_time() - c0)
    long_text = ("房间很干净但是早餐很差，前台服务态度也一般。" * 500)[:10000]
    t0 = time.perf_counter()
    analyze(long_text)
    long_ms = (time.perf_counter() - t0) * 1000
    maxrss_mb = _peak_rss_mb(resource)
    print(json.dumps({"load_s": load_s, "load_cpu_s": load_cpu, "texts_per_s": rate, "texts_per_cpu_s": rate_cpu,
                      "n": n, "long_ms": long_ms, "loadavg": os.getloadavg()[0],
                      "maxrss_mb": maxrss_mb, "avg_chars": float(np.mean([len(t) for t in sample])),
                      "model_version": current_model_version()}))


def speed() -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--speed-child"], env=env, capture_output=True, text=True,
                         check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\nSpeed (fresh process pinned to 1 CPU core, OMP/OPENBLAS/MKL threads = 1, model {r['model_version']})")
    print(f"  machine load average during the run: {r['loadavg']:.1f} (wall-clock figures suffer when it exceeds "
          f"the core count; per-CPU-second figures do not)")
    print(f"  model + dictionary load (first analyze): {r['load_s']:.2f} s wall, {r['load_cpu_s']:.2f} s CPU"
          f"   (target < 2 s)")
    print(f"  full analysis, batches of 500:          {r['texts_per_s']:.0f} texts/s wall, "
          f"{r['texts_per_cpu_s']:.0f} texts per CPU-second, over {r['n']} corpus texts "
          f"(avg {r['avg_chars']:.0f} chars)   (target >= 2000)")
    print(f"  one 10,000-character text:               {r['long_ms']:.0f} ms")
    print(f"  peak memory (VmHWM of the process):      {r['maxrss_mb']:.0f} MB   (target < 500 MB)")


def rules_eval() -> None:
    from feedbackloop.analysis import analyze_many

    with EVAL_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    analyses = analyze_many([r["text"] for r in rows])
    print(f"\nProblem type and urgency on {EVAL_CSV.relative_to(ROOT)} ({len(rows)} hand-labelled texts)")
    for field, attr in (("problem_type", "problem_type"), ("urgency", "urgency")):
        gold = [r[field] for r in rows]
        pred = [getattr(a, attr) for a in analyses]
        acc = np.mean([g == p for g, p in zip(gold, pred, strict=True)])
        print(f"  {field}: accuracy {acc:.3f}")
        for label in sorted(set(gold), key=gold.count, reverse=True):
            idx = [i for i, g in enumerate(gold) if g == label]
            hit = sum(pred[i] == label for i in idx)
            print(f"    {label:<8} recall {hit / len(idx):.3f} ({hit}/{len(idx)})  "
                  f"predicted {pred.count(label)}")
    urgent = [i for i, r in enumerate(rows) if r["urgency"] == "紧急"]
    caught = sum(analyses[i].urgency == "紧急" for i in urgent)
    print(f"  safety/legal/health/PR cases (gold 紧急): {caught}/{len(urgent)} caught "
          f"= recall {caught / max(len(urgent), 1):.3f}")
    missed = [rows[i]["text"][:60] for i in urgent if analyses[i].urgency != "紧急"]
    for text in missed:
        print(f"    missed: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation (slowest part)")
    parser.add_argument("--speed-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_child:
        speed_child()
        return
    if not args.no_cv:
        cross_validate(args.folds, args.seed)
    speed()
    rules_eval()


if __name__ == "__main__":
    main()
