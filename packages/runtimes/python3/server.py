"""Dispatch's python3 function server.

Loads one handler and serves many concurrent calls over funker (TCP or a Unix socket; the same port also
speaks Dispatch's multiplexed wire protocol) or HTTP. Standard library only,
Python 3.9+. One file on purpose, although it is longer than most: it is copied into every python3 image and
run as `python3 server.py`, with no package around it.
"""
import importlib
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_REQUEST_BYTES = 64 * 1024 * 1024
IDLE_SECONDS = 300
DRAIN_SECONDS = 5
LOAD_FAILED = 3
STATUS = {None: 200, "InputError": 400, "FunctionError": 500, "SystemError": 500}

def _positive(raw, fallback):
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return fallback
    return value if value > 0 else fallback


# How much a run keeps (the gateway reads the same variables): 6 MiB of output, 1 MiB of logs.
MAX_OUTPUT_BYTES = _positive(os.environ.get("DISPATCH_MAX_OUTPUT_BYTES"), 6 * 1024 * 1024)
MAX_LOG_BYTES = _positive(os.environ.get("DISPATCH_MAX_LOG_BYTES"), 1024 * 1024)

_local = threading.local()
handler = None
default_timeout = 0


# ---- configuration and loading ---------------------------------------------------------------------

def function_dir():
    configured = os.environ.get("DISPATCH_FUNCTION_DIR")
    if configured:
        return os.path.abspath(configured)
    return "/function" if os.path.isdir("/function") else os.getcwd()


def read_port(name, fallback):
    raw = os.environ.get(name, "")
    if raw == "":
        return fallback
    if not raw.isdigit() or int(raw) > 65535:
        raise ValueError("%s is not a port: %s" % (name, raw))
    return int(raw)


def read_timeout(raw):
    try:
        ms = float(raw)
    except (TypeError, ValueError):
        return 0
    return ms if 0 < ms < float("inf") else 0


def _resolve(module_name, func_name):
    module = importlib.import_module(module_name)
    return getattr(module, func_name)


def load_handler():
    """`module.func`; `module` or `module.py` means `module.handle`; `pkg.mod` may also be a module."""
    spec = os.environ.get("DISPATCH_HANDLER", "").strip()
    if not spec:
        raise ValueError("DISPATCH_HANDLER is not set (expected module.func)")
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, function_dir())
    if spec.endswith(".py"):
        fn = _resolve(spec[:-3].replace("/", "."), "handle")
    elif "." not in spec:
        fn = _resolve(spec, "handle")
    else:
        module_name, func_name = spec.rsplit(".", 1)
        try:
            fn = _resolve(module_name, func_name)
        except (ImportError, AttributeError) as first:
            if isinstance(first, ImportError) and first.name != module_name.split(".")[0] and first.name != module_name:
                raise
            try:
                fn = _resolve(spec, "handle")
            except ImportError as second:
                if second.name == spec:
                    raise first from None
                raise
    if not callable(fn):
        raise TypeError("%s is not callable" % spec)
    return fn


def loader_message(error):
    return "%s: %s" % (type(error).__name__, error)


def report(status):
    line = (json.dumps(status, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.environ.get("DISPATCH_STATUS_FD", "")
    if fd.isdigit():
        try:
            os.write(int(fd), line)
            os.close(int(fd))
            return
        except OSError:
            pass
    sys.stderr.write(line.decode("utf-8"))
    sys.stderr.flush()


def hard_exit(code):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


# ---- log capture -------------------------------------------------------------------------------------

class CallLogs:
    __slots__ = ("stdout", "stderr", "active", "size", "cut")

    def __init__(self):
        self.stdout = []
        self.stderr = []
        self.active = True
        self.size = 0  # characters kept, which bound the bytes from below
        self.cut = 0  # bytes not kept


_TEE_LOGS = os.environ.get("DISPATCH_TEE_LOGS") == "1"


class CapturedStream:
    """Writes from a thread running a call land in that call's logs; anything else reaches the real stream."""

    def __init__(self, real, key):
        self._real = real
        self._key = key

    def write(self, text):
        logs = getattr(_local, "logs", None)
        if logs is None or not logs.active:
            return self._real.write(text)
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        written = len(text)
        left = MAX_LOG_BYTES - logs.size
        if written > left:
            # A run keeps MAX_LOG_BYTES of logs: the rest is counted, not kept.
            data = text.encode("utf-8", "backslashreplace")
            kept = data[: max(left, 0)].decode("utf-8", "ignore")
            logs.cut += len(data) - len(kept.encode("utf-8"))
            text = kept
        logs.size += len(text)
        if text:
            getattr(logs, self._key).append(text)
            # Container backends read their logs from the server's own streams: copy the call's output there too.
            if _TEE_LOGS:
                self._real.write(text)
        return written

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if getattr(_local, "logs", None) is None:
            self._real.flush()

    def __getattr__(self, name):
        return getattr(self._real, name)


def install_capture():
    for name in ("stdout", "stderr"):
        real = getattr(sys, name)
        try:
            real.reconfigure(encoding="utf-8", errors="backslashreplace", line_buffering=True)
        except (AttributeError, ValueError, OSError):
            pass
        setattr(sys, name, CapturedStream(real, name))


def lines(chunks):
    if not chunks:
        return []
    result = "".join(chunks).split("\n")
    if result[-1] == "":
        result.pop()
    return [line[:-1] if line.endswith("\r") else line for line in result]


# ---- calls -------------------------------------------------------------------------------------------

def envelope(logs, payload_json, error=None):
    out, err = (logs.stdout, logs.stderr) if logs is not None else ([], [])
    if logs is not None and logs.cut > 0:
        marker = "[dispatch] %d bytes of output were cut: a run keeps at most %d bytes of logs (DISPATCH_MAX_LOG_BYTES)\n" % (logs.cut, MAX_LOG_BYTES)
        err = err + ([] if not err or err[-1].endswith("\n") else ["\n"]) + [marker]
    parts = ['{"context":{"logs":{"stdout":', json.dumps(lines(out)), ',"stderr":', json.dumps(lines(err)), "}"]
    if error is not None:
        parts += [',"error":', json.dumps(error)]
    parts += ['},"payload":', payload_json, "}"]
    return (error["type"] if error is not None else None), "".join(parts).encode("utf-8", "replace")


def failure(error_type, message, logs=None, stacktrace=None):
    return envelope(logs, "null", {"type": error_type, "message": message, "stacktrace": stacktrace or []})


def describe(error):
    tb = error.__traceback__.tb_next if error.__traceback__ is not None else None
    stack = "".join(traceback.format_exception(type(error), error, tb)).rstrip("\n").split("\n")
    if isinstance(error, SystemExit):
        code = "" if error.code is None else repr(error.code)
        return "FunctionError", "SystemExit: the function called sys.exit(%s)" % code, stack
    if isinstance(error, KeyboardInterrupt):
        return "FunctionError", "KeyboardInterrupt: the function raised KeyboardInterrupt", stack
    error_type = "InputError" if isinstance(error, (ValueError, TypeError)) else "FunctionError"
    return error_type, loader_message(error), stack


def invoke(logs, context, payload, outcome):
    _local.logs = logs
    try:
        outcome.append((True, handler(context, payload)))
    except BaseException as error:  # the handler's sys.exit() must not end the server
        outcome.append((False, error))
    finally:
        _local.logs = None


def call(context, payload):
    logs = CallLogs()
    outcome = []
    timeout = context["timeout"]
    if timeout > 0:
        worker = threading.Thread(target=invoke, args=(logs, context, payload, outcome), daemon=True)
        worker.start()
        worker.join(timeout / 1000.0)
    else:
        invoke(logs, context, payload, outcome)
    logs.active = False
    if not outcome:
        shown = int(timeout) if timeout == int(timeout) else timeout
        return failure("FunctionError", "function timed out after %s ms" % shown, logs)
    ok, value = outcome[0]
    if not ok:
        error_type, message, stack = describe(value)
        return failure(error_type, message, logs, stack)
    try:
        payload_json = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as error:
        return failure("FunctionError", "TypeError: the return value is not JSON-serialisable: %s" % error, logs)
    if len(payload_json) * 4 > MAX_OUTPUT_BYTES and len(payload_json.encode("utf-8", "replace")) > MAX_OUTPUT_BYTES:
        size = len(payload_json.encode("utf-8", "replace"))
        message = "the return value is %d bytes, more than a run keeps (%d bytes, DISPATCH_MAX_OUTPUT_BYTES)" % (size, MAX_OUTPUT_BYTES)
        return failure("FunctionError", message, logs)
    return envelope(logs, payload_json)


def request_context(context):
    if not isinstance(context, dict):
        return {"secrets": {}, "timeout": default_timeout}
    if not isinstance(context.get("secrets"), dict):
        context["secrets"] = {}
    context["timeout"] = read_timeout(context.get("timeout")) or default_timeout
    return context


def serve(data):
    """Runs one request (the raw body) and returns (error type or None, envelope bytes)."""
    try:
        try:
            request = json.loads(data.decode("utf-8"))
        except ValueError as error:
            return failure("InputError", "%s: request is not valid JSON: %s" % (type(error).__name__, error))
        if not isinstance(request, dict):
            return failure("InputError", 'TypeError: request must be a JSON object {"context", "payload"}')
        return call(request_context(request.get("context")), request.get("payload"))
    except Exception as error:  # the server itself failed
        return failure("SystemError", loader_message(error))


class InFlight:
    """Counts calls from their request to their reply being sent, so that SIGTERM lets them finish."""

    def __init__(self):
        self.count = 0
        self.changed = threading.Condition()

    def __enter__(self):
        with self.changed:
            self.count += 1

    def __exit__(self, *exc_info):
        with self.changed:
            self.count -= 1
            self.changed.notify_all()

    def wait_idle(self, seconds):
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, seconds)


in_flight = InFlight()


# ---- funker mode -------------------------------------------------------------------------------------

class FunkerHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(IDLE_SECONDS)
        chunks, size = [], 0
        try:
            while True:
                chunk = sock.recv(262144)
                if not chunk:
                    break
                if size == 0 and chunk[:1] == b"\0":
                    # A funker request is JSON, which never starts with NUL: a NUL opens the wire protocol.
                    return wire_session(sock, chunk)
                size += len(chunk)
                if size > MAX_REQUEST_BYTES:
                    sock.sendall(failure("InputError", "RangeError: request exceeds 64 MiB")[1])
                    return
                chunks.append(chunk)
            sock.settimeout(None)
            with in_flight:
                sock.sendall(serve(b"".join(chunks))[1])
        except OSError:
            pass


class FunkerServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


class FunkerUnixServer(socketserver.ThreadingUnixStreamServer):
    """The local backend reaches each process on a Unix socket of its own (funker and wire alike)."""
    daemon_threads = True
    request_queue_size = 512


# ---- wire mode: many calls at once on one long-lived connection --------------------------------------
# The gateway's side and the frame format are in @dispatch/core (wire-frame.ts): after the 4-byte preface,
# frames of u32 body length | u32 call id | u8 kind (1 call, 2 reply, 3 ping, 4 pong) | body. Each call runs
# on a thread of its own, so a slow call does not hold up the others on the connection.

WIRE_PREFACE = b"\0DW\x01"
WIRE_HEADER = struct.Struct(">IIB")


def wire_session(sock, data):
    sock.settimeout(None)  # the gateway keeps the connection for the life of the process and pings it
    write_lock = threading.Lock()

    def send(call_id, kind, body=b""):
        frame = WIRE_HEADER.pack(len(body), call_id, kind) + body
        with write_lock:
            sock.sendall(frame)

    def run(call_id, body):
        with in_flight:
            reply = serve(body)[1]
            try:
                send(call_id, 2, reply)
            except OSError:
                pass  # the gateway went away: its calls are lost with it

    buf = bytearray(data)
    prefaced = False
    while True:
        if not prefaced and len(buf) >= len(WIRE_PREFACE):
            if bytes(buf[:len(WIRE_PREFACE)]) != WIRE_PREFACE:
                return
            del buf[:len(WIRE_PREFACE)]
            prefaced = True
        offset = 0
        while prefaced and len(buf) - offset >= WIRE_HEADER.size:
            length, call_id, kind = WIRE_HEADER.unpack_from(buf, offset)
            if length > MAX_REQUEST_BYTES:
                return  # the gateway never sends this much: not a stream to read on
            start = offset + WIRE_HEADER.size
            if len(buf) - start < length:
                break
            offset = start + length
            if kind == 1:
                threading.Thread(target=run, args=(call_id, bytes(buf[start:offset])), daemon=True).start()
            elif kind == 3:
                send(0, 4)
        if offset:
            del buf[:offset]
        chunk = sock.recv(262144)
        if not chunk:
            return
        buf += chunk


# ---- http mode ---------------------------------------------------------------------------------------

class HttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_SECONDS
    server_version = "dispatch"

    def log_message(self, format, *args):
        pass

    def send_json(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reject(self, status, message, headers=()):
        self.send_json(status, failure("InputError", message)[1], headers)

    def route(self):
        return self.path.split("?", 1)[0]

    def do_GET(self):
        if self.route() == "/healthz":
            self.send_json(200, b"{}")
        else:
            self.not_allowed()

    def do_POST(self):
        if self.route() == "/healthz":
            return self.not_allowed()
        body = self.read_body()
        if body is not None:
            with in_flight:
                error_type, reply = serve(body)
                self.send_json(STATUS[error_type], reply)

    def not_allowed(self):
        allowed = "GET" if self.route() == "/healthz" else "POST"
        self.close_connection = True  # the unread body would be taken for the next request
        headers = [("Allow", allowed), ("Connection", "close")]
        self.reject(405, "MethodNotAllowed: %s (use %s)" % (self.command, allowed), headers)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = not_allowed

    def too_large(self):
        self.close_connection = True
        self.reject(413, "RangeError: request exceeds 64 MiB", [("Connection", "close")])

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        raw = self.headers.get("Content-Length", "0").strip() or "0"
        if not raw.isdigit():
            self.close_connection = True
            self.reject(400, "ValueError: invalid Content-Length: %s" % raw, [("Connection", "close")])
            return None
        if int(raw) > MAX_REQUEST_BYTES:
            self.too_large()
            return None
        return self.rfile.read(int(raw))

    def read_chunked(self):
        chunks, size = [], 0
        while True:
            length = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if length == 0:
                while self.rfile.readline().strip():
                    pass
                return b"".join(chunks)
            size += length
            if size > MAX_REQUEST_BYTES:
                self.too_large()
                return None
            chunks.append(self.rfile.read(length))
            self.rfile.readline()


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512


# ---- main --------------------------------------------------------------------------------------------

def create_server():
    mode = os.environ.get("DISPATCH_MODE") or "funker"
    if mode not in ("funker", "http"):
        raise ValueError("DISPATCH_MODE must be funker or http, not %s" % mode)
    port = read_port("PORT", 8080) if mode == "http" else read_port("DISPATCH_FUNKER_PORT", 9999)
    path = os.environ.get("DISPATCH_SOCKET") or ""
    if mode == "funker" and path:
        return FunkerUnixServer(path, FunkerHandler)
    host = os.environ.get("DISPATCH_HOST") or "0.0.0.0"
    server_class = HttpServer if mode == "http" else FunkerServer
    server_class.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return server_class((host, port), HttpHandler if mode == "http" else FunkerHandler)


def drain(server):
    server.shutdown()
    server.server_close()
    in_flight.wait_idle(DRAIN_SECONDS)
    hard_exit(0)


def exit_with_parent():
    """The local backend keeps a pipe to our stdin: when it closes, the gateway is gone (even if it was killed
    without stopping its children), and a function server must not outlive it."""
    if os.environ.get("DISPATCH_EXIT_WITH_PARENT") != "1":
        return

    def wait_for_eof():
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        hard_exit(0)

    threading.Thread(target=wait_for_eof, daemon=True).start()


MAX_CONTROL_BYTES = 8 * 1024 * 1024


def await_specialisation():
    """A spare (DISPATCH_SPARE=1, the local backend's pre-warmed process) has no function yet: it says so on the
    status fd (left open for the ready line), then waits for one line on stdin that sets the function's environment,
    its handler and settings included. Nothing of a function is on its command line, and nothing is loaded before."""
    line = (json.dumps({"status": "spare", "pid": os.getpid()}, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.environ.get("DISPATCH_STATUS_FD", "")
    if fd.isdigit():
        os.write(int(fd), line)
    else:
        sys.__stderr__.write(line.decode("utf-8"))
        sys.__stderr__.flush()
    data = b""
    while b"\n" not in data:
        chunk = os.read(0, 65536)
        if not chunk or len(data) > MAX_CONTROL_BYTES:
            hard_exit(0)
        data += chunk
    control = json.loads(data.split(b"\n", 1)[0].decode("utf-8"))
    for name in control.get("unset", []):
        os.environ.pop(name, None)
    os.environ.update(control.get("env", {}))


def main(argv):
    global handler, default_timeout
    check = "--check" in argv[1:]
    install_capture()  # before loading, so that a logging handler made at import time writes through it
    try:
        if os.environ.get("DISPATCH_SPARE") == "1" and not check:
            await_specialisation()
        handler = load_handler()
        if check:
            hard_exit(0)
        default_timeout = read_timeout(os.environ.get("DISPATCH_TIMEOUT_MS"))
        server = create_server()
    except BaseException as error:  # a module that calls sys.exit() at import time fails to load too
        message = loader_message(error)
        if check:
            sys.stderr.write(message + "\n")
        else:
            report({"status": "error", "message": message})
        hard_exit(LOAD_FAILED)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    port = server.server_address[1] if isinstance(server.server_address, tuple) else 0
    report({"status": "ready", "port": port, "pid": os.getpid()})
    exit_with_parent()
    while not stop.wait(3600):
        pass
    drain(server)


if __name__ == "__main__":
    main(sys.argv)
