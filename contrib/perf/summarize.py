#!/usr/bin/python3
"""summarize.py - turn jt_bench.py JSON lines into Markdown tables.

  /usr/bin/python3 summarize.py methods results/methods.jsonl results/methods_cg.jsonl
  /usr/bin/python3 summarize.py peers results/peers.jsonl [...]
  /usr/bin/python3 summarize.py cg results/peers_cg.jsonl
  /usr/bin/python3 summarize.py threads results/peers.jsonl   (per-thread CPU and wake-ups)
Prints Markdown to stdout. Runs with the same label are repeats; each cell
is "median [min-max]" over repeats unless stated.
"""
import json, re, statistics, sys
from collections import OrderedDict


def load(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    return rows


def group(rows):
    g = OrderedDict()
    for r in rows:
        g.setdefault(r["label"], []).append(r)
    return g


def cb(r, key):
    c = r.get("cb") or []
    return c[0][key] if c else None


def stats(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return min(vals), statistics.median(vals), max(vals)


def fmt(s, nd=1):
    if s is None:
        return "n/a"
    lo, med, hi = s
    return "%.*f [%.*f–%.*f]" % (nd, med, nd, lo, nd, hi)


def spread(s):
    if s is None or s[1] == 0:
        return "n/a"
    return "%.0f%%" % (100.0 * (s[2] - s[0]) / s[1])


METRICS = [
    ("(d) callback mean µs", lambda r: cb(r, "mean_us")),
    ("(d) callback median µs", lambda r: cb(r, "median_us")),
    ("(d) callback p99 µs", lambda r: cb(r, "p99_us")),
    ("(d) callback max µs", lambda r: cb(r, "max_us")),
    ("(b) process CPU µs/period", lambda r: r.get("proc_us_per_period")),
    ("(b) RT thread CPU µs/period", lambda r: r.get("rt_us_per_period")),
    ("(a) jack_cpu_load mean %", lambda r: r.get("jack_load_mean")),
    ("(a) jack_cpu_load max %", lambda r: r.get("jack_load_max")),
    ("jackd CPU µs/period", lambda r: r.get("jackd_us_per_period")),
    ("xruns in window", lambda r: r.get("xruns")),
    ("foreign CPU + steal % (all CPUs)", lambda r: (r["foreign_cpu_pct"] + r.get("steal_pct", 0)) if "foreign_cpu_pct" in r else None),
]


def methods(paths):
    rows = [r for r in load(paths) if "error" not in r and not r.get("contaminated")]
    online = group([r for r in rows if "cb" in r or "periods" in r])
    cg = group([r for r in rows if "ir_per_period" in r])
    for lab, rs in online.items():
        print("\n**%s** (%d runs, %d s windows)\n" % (lab, len(rs), round(rs[0]["wall_s"])))
        print("| method / metric | median [min–max] | spread (max−min)/median |")
        print("|---|---|---|")
        for name, fn in METRICS:
            s = stats([fn(r) for r in rs])
            print("| %s | %s | %s |" % (name, fmt(s, 2 if "%" in name else 1), spread(s)))
    if cg:
        print("\n| callgrind (c) | runs | Ir per period median [min–max] | spread |")
        print("|---|---|---|---|")
        for lab, rs in cg.items():
            s = stats([r["ir_per_period"] for r in rs])
            print("| %s | %d | %s | %s |" % (lab, len(rs), fmt(s, 0), "%.3f%%" % (100.0 * (s[2] - s[0]) / s[1])))


def parse_label(lab):
    m = re.search(r"p=(\d+)", lab)
    per = int(m.group(1)) if m else 0
    m = re.search(r"(\d+)(?:x| chains|ch)", lab)
    ch = int(m.group(1)) if m else 1
    return per, ch


def clean(rs):
    """runs without error; drop windows flagged as contaminated by foreign
    load if at least one clean window exists"""
    ok = [r for r in rs if "error" not in r]
    c = [r for r in ok if not r.get("contaminated")]
    return c if c else ok


def peers(paths):
    rows = [r for r in load(paths)]
    g = group(rows)
    print("| configuration | period | runs | callback µs/period (d) | % of period | µs per channel | process CPU µs/period (b) | jack_cpu_load % (a) | jackd µs/period | xruns/run | foreign+steal % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for lab, rs in g.items():
        ok = clean(rs)
        per, ch = parse_label(lab)
        if not ok:
            print("| %s | %d | 0 | failed: %s | | | | | | | |" % (lab.rsplit(" p=", 1)[0], per, rs[0]["error"][:60]))
            continue
        s = stats([cb(r, "mean_us") for r in ok])
        pct = stats([cb(r, "mean_pct") for r in ok])
        perch = (s[1] / ch) if s else None
        print("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            lab.rsplit(" p=", 1)[0], per, len(ok), fmt(s), fmt(pct, 2),
            "%.2f" % perch if perch is not None else "n/a",
            fmt(stats([r.get("proc_us_per_period") for r in ok])),
            fmt(stats([r.get("jack_load_mean") for r in ok]), 1),
            "%.1f" % statistics.median([r.get("jackd_us_per_period", 0) for r in ok]),
            "%.0f" % statistics.median([r.get("xruns", 0) or 0 for r in ok]),
            "%.1f" % max(r.get("foreign_cpu_pct", 0) + r.get("steal_pct", 0) for r in ok)))


def threads(paths):
    """What each target costs besides its audio: every thread by name, %
    of one core and wake-ups a second, median over repeats."""
    g = group(load(paths))
    print("| configuration | runs | RT thread % core | other threads % core | other threads wake-ups/s | per thread (% core, wake-ups/s) |")
    print("|---|---|---|---|---|---|")
    for lab, rs in g.items():
        ok = [r for r in clean(rs) if "threads" in r]
        if not ok:
            continue
        names = OrderedDict()
        for r in ok:
            for t in r["threads"]:
                names.setdefault((t["name"], t["rt"]), []).append(t)
        rt = statistics.median(sum(t["pct_core"] for t in r["threads"] if t["rt"]) for r in ok)
        per = ", ".join("%s%s %.3f %% %.0f/s" % (n[0], " (RT)" if n[1] else "",
                                                 statistics.median(t["pct_core"] for t in ts),
                                                 statistics.median(t["wakeups_s"] for t in ts))
                        for n, ts in names.items())
        print("| %s | %d | %.2f | %.3f | %.0f | %s |" % (
            lab.rsplit(" p=", 1)[0], len(ok), rt,
            statistics.median(r["idle_threads_pct"] for r in ok),
            statistics.median(r["idle_threads_wakeups_s"] for r in ok), per))


def cgtable(paths):
    rows = [r for r in load(paths) if "ir_per_period" in r and r["ir_per_period"]]
    g = group(rows)
    print("| configuration | period | runs | Ir per period | Ir per channel-frame |")
    print("|---|---|---|---|---|")
    for lab, rs in g.items():
        per, ch = parse_label(lab)
        s = stats([r["ir_per_period"] for r in rs])
        print("| %s | %d | %d | %.0f | %.0f |" % (lab.rsplit(" p=", 1)[0], per, len(rs), s[1], s[1] / ch / per))


if __name__ == "__main__":
    {"methods": methods, "peers": peers, "cg": cgtable, "threads": threads}[sys.argv[1]](sys.argv[2:])
