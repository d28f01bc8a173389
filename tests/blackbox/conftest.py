"""Black-box tests of build/squall-cserver over raw sockets.

Each test starts its own server on an ephemeral port (--port 0) with the
limits it needs, reads the "listening on HOST:PORT" line, and talks HTTP/1.1
by hand. The ASan build (build/squall-cserver-san) is preferred when it
exists; SQUALL_CSERVER overrides the binary.
"""

import os
import select
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def server_binary():
    env = os.environ.get("SQUALL_CSERVER")
    if env:
        return env
    for name in ("squall-cserver-san", "squall-cserver"):
        path = os.path.join(ROOT, "build", name)
        if os.path.exists(path):
            return path
    pytest.skip("build/squall-cserver not built")


class Server:
    def __init__(self, *flags, workers=1):
        self.binary = server_binary()
        args = [self.binary, "--port", "0", "--workers", str(workers), *list(flags)]
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        assert ready, "server did not start"
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on "), line
        self.host, port = line.split()[-1].rsplit(":", 1)
        self.port = int(port)
        # Every client socket handed out, closed at teardown (warnings are
        # errors, and an unclosed socket is a ResourceWarning).
        self.sockets = []

    def connect(self, timeout=5.0):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sockets.append(s)
        return s

    def close_clients(self):
        """Close the client sockets (a no-op for those a test closed itself)."""
        for s in self.sockets:
            s.close()
        self.sockets.clear()

    def close_pipes(self):
        self.proc.stdout.close()
        self.proc.stderr.close()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def stderr_text(self):
        return self.proc.stderr.read().decode(errors="replace")


@pytest.fixture
def start_server():
    servers = []

    def start(*flags, workers=1):
        s = Server(*flags, workers=workers)
        servers.append(s)
        return s

    yield start
    try:
        for s in servers:
            # Clients go first, as they did when the test's locals were
            # collected before this teardown ran.
            s.close_clients()
            if s.proc.poll() is None:
                rc = s.stop()
                err = s.stderr_text()
                assert "ERROR: AddressSanitizer" not in err, err
                assert "runtime error" not in err, err
                assert rc == 0, err
    finally:
        for s in servers:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
            s.close_pipes()


@pytest.fixture
def server(start_server):
    return start_server("--keepalive-timeout", "5", "--header-timeout", "5")


class Reader:
    """Reads HTTP/1.1 responses from a socket, keeping leftovers."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
        self.buf += data
        return data

    def read_until(self, marker):
        while marker not in self.buf:
            if not self._fill():
                raise EOFError(f"connection closed before {marker!r}")
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError("connection closed in body")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_to_eof(self):
        while self._fill():
            pass
        out, self.buf = self.buf, b""
        return out

    def response(self, head_request=False):
        head = self.read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        _version, status = lines[0].split(" ", 2)[:2]
        headers = {}
        for line in lines[1:]:
            if line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        status = int(status)
        body = b""
        if head_request or status in (204, 304) or 100 <= status < 200:
            pass
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int(self.read_until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self.read_until(b"\r\n")
                    break
                body += self.read_exact(size)
                assert self.read_exact(2) == b"\r\n"
        elif "content-length" in headers:
            body = self.read_exact(int(headers["content-length"]))
        else:
            body = self.read_to_eof()
        return status, headers, body

    def closed(self, timeout=3.0):
        """True when the peer closes (EOF or reset) within timeout with no more data."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        self.buf += data
        return data == b""


def exchange(server, raw, timeout=5.0):
    """Send raw bytes, return (status, headers, body, reader)."""
    s = server.connect(timeout)
    s.sendall(raw)
    r = Reader(s)
    status, headers, body = r.response()
    return status, headers, body, r


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_for(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()
