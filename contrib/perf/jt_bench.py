#!/usr/bin/python3
"""jt_bench.py - start a private jackd (dummy backend), a target JACK client
under the jt_shim.so timing shim, and a noise source on every input; measure
with jt_mon.measure(); stop everything by PID. Repeats each run with a fresh
server so run-to-run variance (placement, caches, frequency) is included.

  /usr/bin/python3 jt_bench.py SCENARIO [options]

Scenarios (see build_target()):
  idle        no target client, only jackd + a 1-port generator
  jackmixer   jack_mixer 17 C core via its Python module (jm_headless.py)
  jackmixer-gui  the real jack_mixer GUI app on its own Xvfb display, loading
              a project file with N channels (jm_gui_config.py); Xvfb's CPU
              is reported as xvfb_us_per_period
  mixbox      jack_mix_box (jack_mixer's small C-only front end)
  ecasound    ecasound, N chains from N JACK inputs summed to one output;
              --ops mix (no operators) or --ops strip (LADSPA HPF +
              triplePara EQ + sc4m compressor + -ea gain per chain)
  jalv        one LV2 plugin instance in jalv (--uri, --ctl SYM=VAL ...)
  jackmixd    the daemon (JACKMIXD, default src/jackmixd) in its default state
  jackmixd-full  the daemon with every channel stage, 4 sends and the master
              chain engaged (a generated state file)

Options: --period 64 --channels N --stereo --repeats 3 --warmup 3
         --seconds 10 --out results.jsonl --callgrind COUNT
With --callgrind COUNT the target runs under callgrind and the server is put
in freewheel mode; the result is instructions (Ir) per process callback.
"""
import argparse, json, os, re, signal, subprocess, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jt_mon  # noqa: E402

SHIM = os.path.join(HERE, "jt_shim.so")
PY = "/usr/bin/python3"


def wait_server(name, timeout=10):
    env = dict(os.environ, JACK_DEFAULT_SERVER=name)
    t0 = time.time()
    while time.time() - t0 < timeout:
        r = subprocess.run(["jack_lsp"], env=env, capture_output=True, text=True)
        if r.returncode == 0 and "system:" in r.stdout:
            return True
        time.sleep(0.2)
    return False


def list_ports(name):
    env = dict(os.environ, JACK_DEFAULT_SERVER=name)
    r = subprocess.run(["jack_lsp"], env=env, capture_output=True, text=True)
    return r.stdout.splitlines()


# scenarios whose callback must not run until set-up is complete: the line
# the target prints when it is ready (see JT_HOLD in jt_shim.c)
READY = {"jackmixer": "jm_headless:", "jackmixer-gui": None}


def release_hold(logname, line, shm, tgt, timeout):
    import mmap, struct
    t0 = time.time()
    while logname and time.time() - t0 < timeout:
        if tgt.poll() is not None:
            raise RuntimeError("target exited during set-up")
        with open(logname, errors="replace") as f:
            if line in f.read():
                break
        time.sleep(0.2)
    else:
        if logname:
            raise RuntimeError("target never printed " + line)
    with open(shm, "r+b") as f:
        m = mmap.mmap(f.fileno(), 64)
        struct.pack_into("<I", m, 32, 0)
        m.close()


def wait_ports(name, regex, n, timeout, proc=None):
    rx = re.compile(regex)
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            return -1
        got = [p for p in list_ports(name) if rx.search(p)]
        if len(got) >= n:
            return len(got)
        time.sleep(0.3)
    return -1


def stop(p, sig=signal.SIGTERM, timeout=8):
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def ecasound_cmd(cname, n, ops):
    cmd = ["ecasound", "-q", "-G:jack,%s,notransport" % cname, "-z:mixmode,sum",
           "-f:f32_le,1,48000"]
    for i in range(1, n + 1):
        cmd += ["-a:%d" % i, "-i:jack,,in%d" % i]
        if ops == "strip":
            cmd += ["-el:butthigh_iir,80,0.707",
                    "-el:triplePara,2,100,0.5,-3,250,1,2,1000,1,-2,4000,1,1,10000,0.5",
                    "-el:sc4m,0,10,100,-24,4,3,6",
                    "-ea:80"]
        elif ops == "builtin":
            cmd += ["-efh:80", "-efb:250,100", "-efb:1000,400", "-efb:4000,1000",
                    "-ec:2,0.5", "-ea:80"]
    cmd += ["-a:all", "-o:jack,,master"]
    return cmd


def build_target(a, cname):
    """-> (argv, input-port regex, expected input ports, gen ports)"""
    n = a.channels
    if a.scenario == "jackmixer":
        mode = "stereo" if a.stereo else "mono"
        k = n * (2 if a.stereo else 1)
        return ([PY, os.path.join(HERE, "jm_headless.py"), cname, str(n), mode, str(a.buses)],
                r"^%s:in[0-9]+( [LR])?$" % cname, k, k)
    if a.scenario == "jackmixer-gui":
        mode = "stereo" if a.stereo else "mono"
        cfg = "/tmp/jm_gui_%d_%d_%s.xml" % (os.getpid(), n, mode)
        with open(cfg, "w") as f:
            subprocess.run([PY, os.path.join(HERE, "jm_gui_config.py"), str(n), mode, str(a.buses)],
                           stdout=f, check=True)
        k = n * (2 if a.stereo else 1)
        return ([PY, "/usr/bin/jack_mixer", "-c", cfg, cname],
                r"^%s:in[0-9]+( [LR])?$" % cname, k, k)
    if a.scenario == "mixbox":
        cmd = ["jack_mix_box", "-n", cname] + (["-s"] if a.stereo else []) + [str(i) for i in range(n)]
        k = n * (2 if a.stereo else 1)
        return cmd, r"^%s:.* [LR]$|^%s:[0-9]+$" % (cname, cname), k, k
    if a.scenario == "ecasound":
        return ecasound_cmd(cname, n, a.ops), r"^%s:in[0-9]+_1$" % cname, n, n
    if a.scenario == "jalv":
        cmd = ["jalv", "-n", cname, "-x"]
        for c in a.ctl or []:
            cmd += ["-c", c]
        cmd.append(a.uri)
        return cmd, r"^%s:" % cname, a.jalv_inputs, a.jalv_inputs
    if a.scenario in ("jackmixd", "jackmixd-full"):
        # the project's daemon (JACKMIXD=path/to/src/jackmixd); -full engages every stage
        binary = os.environ.get("JACKMIXD", "src/jackmixd")
        k = n * (2 if a.stereo else 1)
        chans = ["--stereo-channels", str(n), "-c", "0"] if a.stereo else ["-c", str(n)]
        cmd = [binary, "-n", cname, "-b", str(a.buses), "-p", str(20000 + os.getpid() % 20000),
               "--feedback-port", "0", "-q"] + chans
        if a.scenario == "jackmixd-full":
            st = "/tmp/jmxd_full_%d_%d.state" % (os.getpid(), n)
            with open(st, "w") as f:
                f.write("jackmixd-state 1\n")
                for c in range(1, n + 1):
                    for line in ("hpf/on 1", "gate/on 1", "gate/thr/db -60", "eq/on 1",
                                 "eq/1/db 3", "eq/2/db -2", "eq/3/db 2", "eq/4/db 1",
                                 "dyn/on 1", "dyn/thr/db -30"):
                        f.write("/ch/%d/%s\n" % (c, line))
                    for b in range(1, min(a.buses, 4) + 1):
                        f.write("/ch/%d/send/%d/level/db -6\n" % (c, b))
                f.write("/master/eq/on 1\n/master/eq/2/db 1\n/master/comp/on 1\n"
                        "/master/width 1.2\n/master/limiter/on 1\n")
            cmd += ["-s", st]
        rx = r"^%s:in_[0-9]+(_[LR])?$" % cname
        return cmd, rx, k, k
    if a.scenario == "strip":
        cmd = [os.path.join(HERE, "jt_strip"), "-n", cname, "-c", str(n)]
        return cmd, r"^%s:in[0-9]+$" % cname, n, n
    raise SystemExit("unknown scenario " + a.scenario)


def one_run(a, rep, attempt=0):
    server = "jtb%d_%d_%d" % (os.getpid(), rep, attempt)
    cname = "tgt"
    log = "/tmp/%s.jackd.log" % server
    shm = "/dev/shm/jt_%s" % server
    env = dict(os.environ, JACK_DEFAULT_SERVER=server)
    procs = []
    jackd = tgt = gen = xvfb = None
    try:
        jackd = subprocess.Popen(["jackd", "-n", server, "-d", "dummy", "-r", str(a.rate),
                                  "-p", str(a.period)], stdout=open(log, "w"),
                                 stderr=subprocess.STDOUT, env=env)
        if not wait_server(server):
            raise RuntimeError("jackd did not start")
        res_extra = {}
        if a.scenario == "idle":
            gen = subprocess.Popen([os.path.join(HERE, "jt_gen"), "-n", "gen", "-p", "1"],
                                   env=env, stdout=subprocess.PIPE, text=True)
            gen.stdout.readline()
            pid = gen.pid
        else:
            argv, rx, k, g = build_target(a, cname)
            tenv = dict(env, LD_PRELOAD=SHIM, JT_SHM=shm)
            ready = READY.get(a.scenario, "")
            if ready is not None and ready == "":
                ready = False
            else:
                tenv["JT_HOLD"] = "1"
            if a.scenario == "jackmixer-gui":
                disp = ":%d" % (100 + os.getpid() % 800)
                xvfb = subprocess.Popen(["Xvfb", disp, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.5)
                tenv["DISPLAY"] = disp
                tenv["NO_AT_BRIDGE"] = "1"
            if a.callgrind:
                cgout = "/tmp/%s.cg.out" % server
                argv = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
                        "--callgrind-out-file=" + cgout] + argv
            tlogname = "/tmp/%s.target.log" % server
            tlog = open(tlogname, "w")
            # stdin stays an open pipe: jalv's console reads commands from it and
            # quits at end of file
            tgt = subprocess.Popen(argv, env=tenv, stdout=tlog, stderr=subprocess.STDOUT,
                                   stdin=subprocess.PIPE)
            got = wait_ports(server, rx, k, 600 if a.callgrind else 60, tgt)
            if got < 0:
                raise RuntimeError("target ports did not appear (rc=%s); see %s" % (tgt.poll(), tlogname))
            if ready:
                release_hold(tlogname, ready, shm, tgt, 600 if a.callgrind else 60)
            elif ready is None:      # no ready line: all ports seen, settle, go
                time.sleep(3)
                release_hold(None, None, shm, tgt, 0)
            gen = subprocess.Popen([os.path.join(HERE, "jt_gen"), "-n", "gen", "-p", str(g),
                                    "-c", rx], env=env, stdout=subprocess.PIPE, text=True)
            line = gen.stdout.readline().strip()
            res_extra["gen"] = line
            pid = tgt.pid
        if a.callgrind:
            return callgrind_window(a, server, shm, tgt, res_extra, cgout)
        os.environ["JACK_DEFAULT_SERVER"] = server
        r = jt_mon.measure(pid, shm if a.scenario != "idle" else None, jackd.pid, log,
                           a.warmup, a.seconds, label=label(a),
                           other_pids=(gen.pid if gen and gen.pid != pid else 0,
                                       xvfb.pid if xvfb else 0))
        if xvfb:
            r["xvfb_us_per_period"] = r["other_us_per_period"].get(str(xvfb.pid))
        r.update(res_extra)
        r["rep"] = rep
        return r
    finally:
        for p in (gen, tgt):
            stop(p)
        stop(jackd)
        stop(xvfb)
        if os.path.exists(shm):
            os.unlink(shm)


def callgrind_window(a, server, shm, tgt, extra, cgout):
    """Freewheel, let the target settle for cg_skip callbacks, then arm the
    shim to collect exactly a.callgrind callbacks and dump."""
    import mmap, struct
    os.environ["JACK_DEFAULT_SERVER"] = server
    jc = jt_mon.JackClient("jt_cg")
    t0 = time.time()
    while not os.path.exists(shm) and time.time() - t0 < 60:
        time.sleep(0.2)
    sh = jt_mon.Shim(shm)
    jc.freewheel(True)
    c0 = sh.count(0)
    while sh.count(0) < c0 + a.cg_skip and time.time() - t0 < 300:
        time.sleep(0.2)
    with open(shm, "r+b") as f:
        m = mmap.mmap(f.fileno(), 32)
        struct.pack_into("<I", m, 20, a.callgrind)
        while struct.unpack_from("<I", m, 28)[0] == 0 and time.time() - t0 < 580:
            if tgt.poll() is not None:
                m.close()
                raise RuntimeError("target died under callgrind")
            time.sleep(0.2)
        first = struct.unpack_from("<I", m, 24)[0]
        m.close()
    jc.freewheel(False)
    time.sleep(0.5)
    jc.close()
    stop(tgt, signal.SIGTERM, 30)
    d = os.path.dirname(cgout) or "."
    dumps = sorted(f for f in os.listdir(d) if f.startswith(os.path.basename(cgout)))
    ir = None
    for f in dumps:
        with open(os.path.join(d, f)) as fh:
            txt = fh.read()
        if "jt_window" in txt:
            m = re.search(r"^(?:summary|totals):\s+(\d+)", txt, re.M)
            ir = int(m.group(1)) if m else None
    for f in dumps:
        os.unlink(os.path.join(d, f))
    r = dict(label=label(a), nframes=a.period, callbacks=a.callgrind, first_callback=first,
             ir_total=ir, ir_per_period=(ir / a.callgrind) if ir else None)
    r.update(extra)
    return r


def label(a):
    s = a.scenario
    if a.scenario in ("jackmixer", "mixbox", "jackmixer-gui"):
        s += " %dx%s" % (a.channels, "st" if a.stereo else "mono")
        if a.scenario == "jackmixer" and a.buses != 1:
            s += " buses=%d" % a.buses
    elif a.scenario == "ecasound":
        s += " %d chains ops=%s" % (a.channels, a.ops)
    elif a.scenario == "jalv":
        s += " " + a.uri.rsplit("/", 1)[-1]
    elif a.scenario == "strip":
        s += " %dch" % a.channels
    if a.tag:  # e.g. "before"/"after": two builds of one target in one run
        s += " [%s]" % a.tag
    return s + " p=%d" % a.period


def main():
    # SIGTERM/SIGINT -> SystemExit, so one_run()'s finally stops our processes
    signal.signal(signal.SIGTERM, lambda *x: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--period", type=int, default=64)
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--stereo", action="store_true")
    ap.add_argument("--buses", type=int, default=1)
    ap.add_argument("--ops", default="mix", choices=["mix", "strip", "builtin"])
    ap.add_argument("--uri")
    ap.add_argument("--ctl", action="append")
    ap.add_argument("--jalv-inputs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--callgrind", type=int, default=0, help="count callbacks under callgrind")
    ap.add_argument("--cg-skip", type=int, default=200, help="freewheel callbacks to run before counting")
    ap.add_argument("--max-foreign", type=float, default=5.0,
                    help="redo a window if foreign CPU + steal exceeds this %% of all CPUs")
    ap.add_argument("--quiet-retries", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--tag", default="", help="added to the label (JACKMIXD=another build, --tag before)")
    a = ap.parse_args()
    for rep in range(a.repeats):
        tries = 0
        for attempt in range(2 + a.quiet_retries):
            try:
                r = one_run(a, rep, attempt)
            except Exception as e:  # keep going, record the failure
                r = dict(label=label(a), rep=rep, error=str(e))
                if attempt >= 1:
                    break
                continue
            # quiet-machine gate: redo a window that shared the CPUs with
            # foreign load (other users' processes) or hypervisor steal
            if r.get("foreign_cpu_pct", 0) + r.get("steal_pct", 0) <= a.max_foreign:
                break
            tries += 1
            r["contaminated"] = True
            if tries > a.quiet_retries:
                break
            print("# foreign load %.1f%% + steal %.1f%%: redo" % (r.get("foreign_cpu_pct", 0), r.get("steal_pct", 0)),
                  file=sys.stderr, flush=True)
            time.sleep(5)
        line = json.dumps(r)
        print(line, flush=True)
        if a.out:
            with open(a.out, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
