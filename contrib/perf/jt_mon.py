#!/usr/bin/python3
"""jt_mon.py - measure the DSP cost of a running JACK client over a window.

Methods gathered in one window (all at once, so they see the same periods):
  (a) jack_cpu_load(), sampled every 50 ms (whole graph, JACK's own
      max-over-32-cycles smoothed estimate) -> mean / max %.
  (b) CPU time of the target process from /proc/PID/task/*/schedstat
      (ns-exact scheduler run time), total and for its SCHED_FIFO thread(s),
      divided by the number of periods elapsed (jack_frame_time delta).
  (d) wall time spent inside the client's process callback, measured by the
      LD_PRELOAD shim jt_shim.so (ring buffer in a shared file): mean, median,
      p99, p99.9, max per period.
Also: jackd's own CPU per period, and xruns counted from the jackd log.
  (e) per thread of the target, by name (/proc/PID/task/TID/comm; jackmixd
      names its threads jackmixd, jmx-rt, jmx-disk, jmx-midiwake, jmx-opener):
      % of one core and wake-ups a second (schedstat's timeslices), and the
      sum over the threads that are not SCHED_FIFO/RR ("idle_threads_pct",
      "idle_threads_wakeups_s"): what the target costs besides its audio.

Usage (client already running and connected):
  JACK_DEFAULT_SERVER=name /usr/bin/python3 jt_mon.py --pid PID \
      [--shm /dev/shm/jt_x] [--jackd-pid PID --jackd-log FILE] \
      [--warmup 3] [--seconds 10] [--label text] [--json out.jsonl]
Must run with Debian's /usr/bin/python3 (numpy).
"""
import argparse, ctypes, glob, json, mmap, os, struct, sys, threading, time
from collections import OrderedDict
import numpy as np

_jack = ctypes.CDLL("libjack.so.0")
_jack.jack_client_open.restype = ctypes.c_void_p
_jack.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
_jack.jack_cpu_load.restype = ctypes.c_float
_jack.jack_cpu_load.argtypes = [ctypes.c_void_p]
_jack.jack_frame_time.restype = ctypes.c_uint32
_jack.jack_frame_time.argtypes = [ctypes.c_void_p]
_jack.jack_get_buffer_size.restype = ctypes.c_uint32
_jack.jack_get_buffer_size.argtypes = [ctypes.c_void_p]
_jack.jack_get_sample_rate.restype = ctypes.c_uint32
_jack.jack_get_sample_rate.argtypes = [ctypes.c_void_p]
_jack.jack_client_close.argtypes = [ctypes.c_void_p]
_jack.jack_set_freewheel.argtypes = [ctypes.c_void_p, ctypes.c_int]
_jack.jack_set_freewheel.restype = ctypes.c_int
JackNoStartServer = 0x01

SHM_HDR = 64  # magic, version, nslots, ring, used, cg_req, cg_first, cg_done, hold, pad[7]
SLOT_HDR = 96


class JackClient:
    def __init__(self, name="jt_mon"):
        st = ctypes.c_int(0)
        self.c = _jack.jack_client_open(name.encode(), JackNoStartServer, ctypes.byref(st))
        if not self.c:
            raise RuntimeError("jt_mon: cannot open JACK client (status 0x%x)" % st.value)
        self.nframes = _jack.jack_get_buffer_size(self.c)
        self.rate = _jack.jack_get_sample_rate(self.c)

    def cpu_load(self):
        return _jack.jack_cpu_load(self.c)

    def frame_time(self):
        return _jack.jack_frame_time(self.c)

    def freewheel(self, on):
        return _jack.jack_set_freewheel(self.c, 1 if on else 0)

    def close(self):
        if self.c:
            _jack.jack_client_close(self.c)
            self.c = None


def task_times(pid):
    """{tid: (run_ns, policy, comm, slices)} for every thread of pid."""
    out = {}
    for d in glob.glob("/proc/%d/task/*" % pid):
        tid = int(os.path.basename(d))
        try:
            with open(d + "/schedstat") as f:
                st = f.read().split()
                run_ns, slices = int(st[0]), int(st[2])
            with open(d + "/stat") as f:
                s = f.read()
            comm = s[s.index("(") + 1:s.rindex(")")]
            fields = s[s.rindex(")") + 2:].split()
            policy = int(fields[38])  # field 41 overall
        except (OSError, ValueError, IndexError):
            continue
        out[tid] = (run_ns, policy, comm, slices)
    return out


def per_thread(t0, t1, wall_s):
    """Each thread by name: % of one core and wake-ups a second over the
    window, RT threads marked; threads of the same name and kind (RT or
    not) are summed, so a target that names none still shows its RT
    thread apart from the others."""
    th = OrderedDict()
    for tid in sorted(t1):
        ns1, pol, comm, sl1 = t1[tid]
        ns0, _, _, sl0 = t0.get(tid, (0, pol, comm, 0))
        rt = pol in (1, 2)
        e = th.setdefault((comm, rt), dict(name=comm, rt=rt, n=0, pct_core=0.0, wakeups_s=0.0))
        e["n"] += 1
        e["pct_core"] += 100.0 * (ns1 - ns0) / (wall_s * 1e9)
        e["wakeups_s"] += (sl1 - sl0) / wall_s
    for e in th.values():
        e["pct_core"] = round(e["pct_core"], 4)
        e["wakeups_s"] = round(e["wakeups_s"], 1)
    return list(th.values())


def cpu_delta(t0, t1):
    total = rt = 0
    for tid, (ns1, pol, _, _) in t1.items():
        ns0 = t0.get(tid, (0, pol, "", 0))[0]
        total += ns1 - ns0
        if pol in (1, 2):  # SCHED_FIFO / SCHED_RR
            rt += ns1 - ns0
    return total, rt


class Shim:
    def __init__(self, path):
        self.path = path
        f = open(path, "rb")
        self.m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        f.close()
        magic, ver, nslots, ring, used = struct.unpack_from("<5I", self.m, 0)
        if magic != 0x4A545348:
            raise RuntimeError("bad shim file " + path)
        self.nslots, self.ring, self.used = nslots, ring, used
        self.slot_size = SLOT_HDR + 4 * ring
        self.rings = [np.frombuffer(self.m, dtype=np.uint32, count=ring,
                                    offset=SHM_HDR + i * self.slot_size + SLOT_HDR)
                      for i in range(nslots)]

    def used_slots(self):
        return struct.unpack_from("<I", self.m, 16)[0]

    def count(self, i):
        return struct.unpack_from("<Q", self.m, SHM_HDR + i * self.slot_size)[0]

    def name(self, i):
        raw = self.m[SHM_HDR + i * self.slot_size + 32:SHM_HDR + i * self.slot_size + 96]
        return raw.split(b"\0")[0].decode(errors="replace")

    def window(self, i, c0, c1):
        n = c1 - c0
        if n <= 0:
            return np.zeros(0, dtype=np.uint32)
        if n > self.ring:
            c0 = c1 - self.ring
        idx = np.arange(c0, c1) % self.ring
        return self.rings[i][idx].copy()


def sys_busy():
    """(busy_jiffies, steal_jiffies) over all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return v[0] + v[1] + v[2] + v[5] + v[6], v[7]


def proc_ns(pid):
    return sum(t[0] for t in task_times(pid).values()) if pid else 0


def count_xruns(log):
    if not log or not os.path.exists(log):
        return None
    with open(log, errors="replace") as f:
        return sum(1 for line in f if "XRun" in line or "xrun" in line)


def measure(pid, shm=None, jackd_pid=None, jackd_log=None, warmup=3.0, seconds=10.0,
            label="", client=None, sample_dt=0.05, other_pids=()):
    own = client is None
    jc = client or JackClient("jt_mon_%d" % os.getpid())
    try:
        time.sleep(warmup)
        shim = Shim(shm) if shm and os.path.exists(shm) else None
        loads = []
        x0 = count_xruns(jackd_log)
        known = [p for p in (os.getpid(),) + tuple(other_pids) if p]
        kp0 = {p: proc_ns(p) for p in known}
        k0 = sum(kp0.values())
        b0 = sys_busy()
        t0 = task_times(pid)
        j0 = task_times(jackd_pid) if jackd_pid else None
        c0 = [shim.count(i) for i in range(shim.nslots)] if shim else None
        f0 = jc.frame_time()
        w0 = time.monotonic()
        while time.monotonic() - w0 < seconds:
            loads.append(jc.cpu_load())
            time.sleep(sample_dt)
        f1 = jc.frame_time()
        w1 = time.monotonic()
        c1 = [shim.count(i) for i in range(shim.nslots)] if shim else None
        t1 = task_times(pid)
        j1 = task_times(jackd_pid) if jackd_pid else None
        b1 = sys_busy()
        kp1 = {p: proc_ns(p) for p in known}
        k1 = sum(kp1.values())
        x1 = count_xruns(jackd_log)
        nfr = jc.nframes
        periods = ((f1 - f0) & 0xFFFFFFFF) / nfr
        period_us = 1e6 * nfr / jc.rate
        tot, rt = cpu_delta(t0, t1)
        res = dict(label=label, nframes=nfr, rate=jc.rate, wall_s=round(w1 - w0, 3),
                   periods=int(periods), period_us=round(period_us, 3),
                   jack_load_mean=round(float(np.mean(loads)), 3) if loads else None,
                   jack_load_max=round(float(np.max(loads)), 3) if loads else None,
                   proc_us_per_period=round(tot / 1e3 / periods, 3) if periods else None,
                   rt_us_per_period=round(rt / 1e3 / periods, 3) if periods else None)
        res["proc_pct"] = round(100.0 * res["proc_us_per_period"] / period_us, 3)
        res["threads"] = per_thread(t0, t1, w1 - w0)
        idle = [t for t in res["threads"] if not t["rt"]]
        res["idle_threads_pct"] = round(sum(t["pct_core"] for t in idle), 4)
        res["idle_threads_wakeups_s"] = round(sum(t["wakeups_s"] for t in idle), 1)
        res["rt_pct"] = round(100.0 * res["rt_us_per_period"] / period_us, 3)
        jt = 0
        if j0 is not None:
            jt, jrt = cpu_delta(j0, j1)
            res["jackd_us_per_period"] = round(jt / 1e3 / periods, 3)
        # CPU used by anything else on the machine during the window, as % of
        # all CPUs (jiffies are 10 ms; ours are ns-exact): > ~5 % means the
        # window shared the machine with foreign load.
        hz = os.sysconf("SC_CLK_TCK")
        ncpu = os.cpu_count()
        busy_ns = (b1[0] - b0[0]) * 1e9 / hz
        ours_ns = tot + jt + (k1 - k0)
        res["foreign_cpu_pct"] = round(100.0 * max(0.0, busy_ns - ours_ns) / ((w1 - w0) * 1e9 * ncpu), 2)
        res["other_us_per_period"] = {str(p): round((kp1[p] - kp0[p]) / 1e3 / periods, 3)
                                      for p in known if p != os.getpid()} if periods else {}
        res["steal_pct"] = round(100.0 * (b1[1] - b0[1]) * 1e9 / hz / ((w1 - w0) * 1e9 * ncpu), 2)
        if x0 is not None:
            res["xruns"] = x1 - x0
        if shim:
            cbs = []
            for i in range(shim.used_slots()):
                d = shim.window(i, c0[i], c1[i]).astype(np.float64) / 1e3
                if len(d) == 0:
                    continue
                cbs.append(dict(name=shim.name(i), calls=int(c1[i] - c0[i]),
                                mean_us=round(float(d.mean()), 3),
                                median_us=round(float(np.median(d)), 3),
                                p99_us=round(float(np.percentile(d, 99)), 3),
                                p999_us=round(float(np.percentile(d, 99.9)), 3),
                                max_us=round(float(d.max()), 3),
                                mean_pct=round(100.0 * float(d.mean()) / period_us, 3)))
            res["cb"] = cbs
        return res
    finally:
        if own:
            jc.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--shm")
    ap.add_argument("--jackd-pid", type=int)
    ap.add_argument("--jackd-log")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--label", default="")
    ap.add_argument("--json")
    a = ap.parse_args()
    r = measure(a.pid, a.shm, a.jackd_pid, a.jackd_log, a.warmup, a.seconds, a.label)
    line = json.dumps(r)
    print(line)
    if a.json:
        with open(a.json, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
