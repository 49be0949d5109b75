"""The live library, measured from outside: the app's idle CPU while it watches a folder,
and the time from a file landing in the folder to its row on screen (in a tmux window).

    python tests/bench/watch_latency.py CORPUS_DIR     (e.g. the benchmark's corpus-100000)

It starts `reader CORPUS_DIR --sort date` with private XDG folders, waits for the load,
lets it settle, reads the process's CPU time over 60 s, then writes three articles
dated in the future (the top of the list) and times each until its title is on screen.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

corpus = sys.argv[1]
home = tempfile.mkdtemp(prefix="reader-watch-")
env = " ".join(f"{name}={home}/{name.lower()}" for name in ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"))
reader = os.path.join(os.path.dirname(sys.executable), "reader")
subprocess.run(["tmux", "kill-session", "-t", "w"], capture_output=True)
subprocess.run(["tmux", "new", "-d", "-s", "w", "-x", "160", "-y", "50", f"env {env} {reader} {corpus} --sort date"], check=True)
def screen():
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", "w"], capture_output=True, text=True).stdout
pid = int(subprocess.run(["tmux", "list-panes", "-t", "w", "-F", "#{pane_pid}"], capture_output=True, text=True).stdout.split()[0])
started = time.time()
while True:  # loaded: no progress text left in the status line
    text = screen().splitlines()[0] if screen() else ""
    if "100,00" in text and "loading" not in text and "looking" not in text and "reading" not in text:
        break
    if time.time() - started > 600:
        sys.exit("not loaded")
    time.sleep(1)
print(f"loaded in {time.time() - started:.1f} s: {text.strip()}")
time.sleep(10)  # let the background work (orders, search index, state) settle
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
c0, t0 = cpu(pid), time.time()
time.sleep(60)
c1, t1 = cpu(pid), time.time()
print(f"idle CPU over {t1 - t0:.0f} s: {100 * (c1 - c0) / (t1 - t0):.2f}% of a core")
for n in range(3):
    title = f"Zz live arrival {n} {time.time():.0f}"
    path = os.path.join(corpus, f"zz-live-{n}.md")
    with open(path, "w") as f:
        f.write(f"---\ntitle: {title}\npublishedDateTime: 2099-01-01T00:00:00Z\nwebUrl: https://live.example/{n}-{time.time()}\n---\n")
    t = time.time()
    while title[:30] not in screen():
        time.sleep(0.02)
        if time.time() - t > 10:
            print("not seen in 10 s"); break
    print(f"file {n} landed -> row on screen: {time.time() - t:.2f} s")
    time.sleep(2)
for n in range(3):
    os.unlink(os.path.join(corpus, f"zz-live-{n}.md"))
subprocess.run(["tmux", "kill-session", "-t", "w"])
shutil.rmtree(home, ignore_errors=True)
