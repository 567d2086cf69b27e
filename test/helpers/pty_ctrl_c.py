"""Runs a command in a real pseudo-terminal and types Ctrl-C into it once the file named by
$STATS has at least 3 lines, as a user at a terminal would; the terminal then sends SIGINT to the
whole foreground process group. With PTY_ACTION=hangup the terminal is closed instead (a closed
terminal window or a dropped SSH session: SIGHUP, and every later write fails). Prints the
command's terminal output, then `EXIT <code>`."""
import os
import pty
import select
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
stats = os.environ["STATS"]
out = b""
sent = False
while True:
    ready, _, _ = select.select([fd], [], [], 0.05)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and os.path.exists(stats):
        with open(stats) as f:
            if f.read().count("\n") >= 3:
                sent = True
                if os.environ.get("PTY_ACTION") == "hangup":
                    os.close(fd)
                    break
                os.write(fd, b"\x03")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.stdout.write("\nEXIT %d\n" % os.waitstatus_to_exitcode(status))
