"""The runtime agent (`sparki agent`): supervises every replica of the local runtime.

Each replica is an OS process (`/bin/sh -c <command>`) in a session of its own, with the
service's env plus an assigned PORT, writing stdout/stderr to files the agent tails into
the log store. Every tick the agent reads the desired state from the database, observes
its replicas (exits, health probes), and converges: starts what is missing, stops what is
surplus, restarts crashed replicas with backoff. What it observes is handed to the services
feature (`services.health`), which decides what it means. Its records live in Redis, so a restarted
agent re-adopts live processes by pid (verified with the process's create time) instead of
starting duplicates; the web app and the worker dying never touches a replica.

One service never stops the others: whatever fails while acting on one replica (starting,
stopping, probing it, reading its output) is caught, recorded on that replica as its
`failure` (reported like any observation; the services feature decides what it means), and
logged once; the loop goes on with every other replica. A desired state the agent cannot
read keeps the service running as it was.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import requests
from flask import Flask
from redis import Redis
from sqlalchemy import select

from blueprints.core.config import INSTANCE
from blueprints.core.extensions import db
from blueprints.core.readcache import generation_key

from . import logs
from .local import (
    KEY_HEARTBEAT,
    KEY_NODE,
    KEY_REPLICAS,
    REPLICAS_GENERATION,
    load_records,
    replica_status,
)
from .local_node import start_node_reporter
from .local_state import RuntimeDesiredState
from .reconcile import ReplicaRecord, backoff_seconds, plan

log = logging.getLogger("sparki.agent")

KEY_LOCK = "sparki:agent:lock"
STOP_GRACE_SECONDS = 5.0
LOG_FILE_MAX_BYTES = 5 * 1024 * 1024
RECENT_LINES = 20  # a replica's last lines kept in memory, saved when it crashes
READ_CHUNK = 1024 * 1024
#: Variables a replica inherits from the agent; nothing else (no DATABASE_URL, no secrets).
INHERITED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME")


def _pod_name(service_name: str, revision: int) -> str:
    return f"{service_name}-r{revision}-{secrets.token_hex(3)}"


class Agent:
    """One agent per machine (a Redis lock keeps a second one waiting)."""

    def __init__(self, app: Flask, *, node_name: str | None = None) -> None:
        self.app = app
        cfg = app.config
        self.redis = Redis.from_url(cfg["REDIS_URL"], socket_timeout=10)
        self.data_dir = Path(cfg["AGENT_DATA_DIR"] or INSTANCE / "agent")
        self.interval = float(cfg["AGENT_RECONCILE_INTERVAL"])
        self.probe_interval = float(cfg["AGENT_PROBE_INTERVAL"])
        self.health_interval = min(self.probe_interval, 2.0)
        self.maxlen = int(cfg["LOG_STREAM_MAXLEN"])
        lo, _, hi = str(cfg["SERVICE_PORT_RANGE"]).partition("-")
        self.port_lo, self.port_hi = int(lo), int(hi or lo)
        self._port_cursor = self.port_lo
        self.node = node_name or socket.gethostname()
        self.stop_event = threading.Event()
        self.records: dict[str, ReplicaRecord] = {}
        self.procs: dict[str, subprocess.Popen] = {}
        self.specs: dict[str, dict[str, Any]] = {}
        self.token = secrets.token_hex(8)
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="probe")
        self._last_health = 0.0
        # A replica crashed since health was last reported: report in this tick, before the
        # restart, so that a crash healed within the health interval is still seen (and
        # alerted) rather than slipping between two reports.
        self._crash_unreported = False
        # (replica or service, action) -> the failure last logged for it: each is logged once.
        self._failing: dict[tuple[str, str], str] = {}
        # pod -> the last lines of its current run (saved with logs.keep_failed on a crash).
        self.recent: dict[str, deque[str]] = {}
        # The replica records as last written to Redis (None: not yet by this agent), and the
        # value this agent last gave their read-cache counter.
        self._persisted: dict[str, str] | None = None
        self._generation = ""
        self._persist_script = self.redis.register_script(_PERSIST)  # EVALSHA, loaded once
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "work").mkdir(parents=True, exist_ok=True)

    # --- lifecycle -----------------------------------------------------------------------------
    def run(self) -> None:
        from blueprints.core.jobs import wait_for_redis

        wait_for_redis(self.redis)
        while not self.stop_event.is_set() and not self._acquire_lock():
            log.info("agent: another agent holds the lock; waiting")
            self.stop_event.wait(2.0)
        if self.stop_event.is_set():
            return
        self.adopt()
        start_node_reporter(
            self.redis, self.stop_event, node_name=self.node, replica_count=self.replica_count
        )
        log.info(
            "agent %s on %s: %d replicas adopted, data in %s",
            self.token,
            self.node,
            len(self.records),
            self.data_dir,
        )
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                if self._acquire_lock():
                    self.tick()
            except Exception:  # a bad tick must not end supervision
                log.exception("agent: tick failed")
            self.stop_event.wait(max(self.interval - (time.monotonic() - started), 0.05))
        if self._acquire_lock():  # an agent that lost its lock must not write over the holder's
            self.persist()
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self.redis.get(KEY_LOCK) == self.token.encode():
            self.redis.delete(KEY_LOCK)
        log.info("agent: stopped; %d replicas keep running", self.replica_count())

    def stop(self) -> None:
        self.stop_event.set()

    def _acquire_lock(self) -> bool:
        if self.redis.set(KEY_LOCK, self.token, nx=True, ex=15):
            return True
        if self.redis.get(KEY_LOCK) == self.token.encode():
            self.redis.expire(KEY_LOCK, 15)
            return True
        return False

    def replica_count(self) -> int:
        return sum(1 for r in self.records.values() if r.state in ("starting", "running"))

    # --- adoption ------------------------------------------------------------------------------
    def adopt(self) -> None:
        """Take over the replicas a previous agent left running; forget the dead ones."""
        now = time.time()
        for rec in load_records(self.redis):
            alive = self._alive(rec)
            if rec.state == "stopping":
                if alive:
                    self.records[rec.pod] = rec
                continue
            if not alive and rec.state != "crashed":
                self._kill_group(rec, signal.SIGKILL)
                rec.state, rec.ready, rec.pid = "crashed", False, None
                rec.next_start_at = now
                rec.message = "the process was gone when the agent started"
            self.records[rec.pod] = rec

    # --- the loop ------------------------------------------------------------------------------
    def tick(self) -> None:
        now = time.time()
        self.load_desired()
        self.observe(now)
        self.tail_logs()
        if self._crash_unreported:
            self._crash_unreported = False
            self._last_health = time.time()
            self.report_health()
        desired = {
            sid: {s["key"]: int(s["replicas"]) for s in spec.get("sets", [])}
            for sid, spec in self.specs.items()
        }
        actions = plan(desired, list(self.records.values()), now)
        for pod in actions.stop:
            self._attempt(self.records[pod], "stop", self.stop_replica, self.records[pod], now)
        for pod in actions.restart:
            rec = self.records[pod]
            spec = self.specs.get(rec.service_id)
            set_spec = self._set(spec, rec.set_key)
            if spec and set_spec:
                rec.restarts += 1
                self.start_process(rec, spec, set_spec)  # records its own failure
        for sid, key in actions.start:
            spec = self.specs[sid]
            set_spec = self._set(spec, key)
            if set_spec:
                self.start_replica(spec, set_spec)  # records its own failure
        self.finish_stops(time.time())
        self.probe(time.time())
        if time.time() - self._last_health >= self.health_interval:
            self._last_health = time.time()
            self.report_health()
            self.clean_workdirs()
        self.persist()

    def load_desired(self) -> None:
        try:
            with self.app.app_context():
                rows = db.session.execute(select(RuntimeDesiredState)).scalars().all()
                found = {row.service_id: dict(row.spec or {}) for row in rows}
                db.session.remove()
        except Exception:  # database unreachable: keep running what we know
            log.exception("agent: could not read the desired state; keeping the last one")
            return
        specs = {}
        for sid, spec in found.items():
            try:
                _check_spec(sid, spec)
            except (KeyError, TypeError, ValueError) as exc:
                # Keep running what this service ran; every other service goes on.
                self._log_once(sid, "read the desired state of", f"service {sid}: {exc!r}")
                if sid in self.specs:
                    specs[sid] = self.specs[sid]
                continue
            self._failing.pop((sid, "read the desired state of"), None)
            specs[sid] = spec
        self.specs = specs

    # --- failures of one replica ---------------------------------------------------------------
    def _log_once(self, subject: str, action: str, why: str) -> bool:
        """Log `why` unless it is what was last logged for (subject, action); True if logged."""
        if self._failing.get((subject, action)) == why:
            return False
        self._failing[(subject, action)] = why
        log.warning("agent: could not %s %s: %s", action, subject, why)
        return True

    def _failed(self, rec: ReplicaRecord, action: str, exc: BaseException) -> str:
        """Record on `rec` that `action` failed (logged once per distinct failure)."""
        why = f"could not {action} replica: {exc}"[:1000]
        rec.failure = rec.message = why
        if self._log_once(rec.pod, action, why):
            self.say(rec, "error", f"[sparki] {rec.pod} {why}")
        return why

    def _succeeded(self, rec: ReplicaRecord, action: str) -> None:
        why = self._failing.pop((rec.pod, action), None)
        if why is not None and rec.failure == why:
            rec.failure = ""

    def _attempt(self, rec: ReplicaRecord, action: str, fn: Any, *args: Any) -> bool:
        """`fn(*args)` for one replica; a failure is recorded on it instead of raised, so the
        agent goes on with every other replica (and service)."""
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 (one replica's failure must not stop the rest)
            self._failed(rec, action, exc)
            return False
        self._succeeded(rec, action)
        return True

    @staticmethod
    def _set(spec: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
        for s in (spec or {}).get("sets", []):
            if s["key"] == key:
                return s
        return None

    # --- processes -----------------------------------------------------------------------------
    def _alive(self, rec: ReplicaRecord) -> bool:
        if not rec.pid:
            return False
        proc = self.procs.get(rec.pod)
        if proc is not None and proc.pid == rec.pid:
            return proc.poll() is None
        try:
            p = psutil.Process(rec.pid)
            if rec.create_time and abs(p.create_time() - rec.create_time) > 0.05:
                return False  # the pid was reused by another process
            return p.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    @staticmethod
    def _kill_group(rec: ReplicaRecord, sig: int) -> None:
        if not rec.pid:
            return
        # The replica leads its own session and process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(rec.pid, sig)

    def _free_port(self) -> int:
        used = {r.port for r in self.records.values()}
        span = self.port_hi - self.port_lo + 1
        for _ in range(span):
            port = self._port_cursor
            self._port_cursor = self.port_lo + ((port - self.port_lo + 1) % span)
            if port in used:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("0.0.0.0", port))
                except OSError:
                    continue
            return port
        raise RuntimeError(f"no free port in SERVICE_PORT_RANGE {self.port_lo}-{self.port_hi}")

    def _env(
        self, spec: dict[str, Any], set_spec: dict[str, Any], rec: ReplicaRecord
    ) -> dict[str, str]:
        env = {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
        env["PYTHONUNBUFFERED"] = "1"
        env.update({str(k): str(v) for k, v in (set_spec.get("env") or {}).items()})
        env.update(
            {
                "PORT": str(rec.port),
                "SPARKI_SERVICE_ID": rec.service_id,
                "SPARKI_SERVICE_NAME": spec.get("name", ""),
                "SPARKI_POD": rec.pod,
                "SPARKI_REVISION": str(rec.revision),
            }
        )
        return env

    def start_replica(self, spec: dict[str, Any], set_spec: dict[str, Any]) -> ReplicaRecord:
        pod = _pod_name(spec.get("name", "svc"), int(set_spec["revision"]))
        logs_dir = self.data_dir / "logs"
        rec = ReplicaRecord(
            pod=pod,
            service_id=spec["service_id"],
            org_id=spec["org_id"],
            set_key=set_spec["key"],
            revision=int(set_spec["revision"]),
            port=0,
            log_out=str(logs_dir / f"{pod}.out"),
            log_err=str(logs_dir / f"{pod}.err"),
        )
        self.records[pod] = rec
        self.start_process(rec, spec, set_spec)
        return rec

    def _spawn(
        self, rec: ReplicaRecord, spec: dict[str, Any], set_spec: dict[str, Any]
    ) -> subprocess.Popen:
        rec.port = self._free_port()
        workdir = self.data_dir / "work" / rec.service_id
        workdir.mkdir(parents=True, exist_ok=True)
        Path(rec.log_out).parent.mkdir(parents=True, exist_ok=True)
        with open(rec.log_out, "ab") as out, open(rec.log_err, "ab") as err:
            return subprocess.Popen(
                ["/bin/sh", "-c", set_spec["command"]],
                cwd=str(workdir),
                env=self._env(spec, set_spec, rec),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                close_fds=True,
            )

    def start_process(
        self, rec: ReplicaRecord, spec: dict[str, Any], set_spec: dict[str, Any]
    ) -> None:
        """Start `rec`'s process; whatever fails (a missing or blocked working directory, a
        command or env `exec` refuses, no free port) leaves it crashed with the real reason
        as its `failure`, retried after the crash backoff."""
        now = time.time()
        try:
            proc = self._spawn(rec, spec, set_spec)
        except Exception as exc:  # noqa: BLE001 (recorded on the replica, never raised)
            why = self._failed(rec, "start", exc)
            self._crashed(rec, now, None, why, announce=False)
            return
        self._succeeded(rec, "start")
        self.procs[rec.pod] = proc
        self.recent[rec.pod] = deque(maxlen=RECENT_LINES)
        try:
            rec.create_time = psutil.Process(proc.pid).create_time()
        except psutil.Error:
            rec.create_time = None
        rec.pid, rec.state, rec.ready = proc.pid, "starting", False
        rec.started_at, rec.ready_at, rec.next_start_at = now, None, None
        rec.probe_failures, rec.message = 0, ""
        self.say(
            rec,
            "info",
            f"[sparki] started {rec.pod} (revision {rec.revision}) on port "
            f"{rec.port}, pid {proc.pid}",
        )

    def _crashed(
        self, rec: ReplicaRecord, now: float, code: int | None, why: str, *, announce: bool = True
    ) -> None:
        rec.crash_streak += 1
        wait = backoff_seconds(rec.crash_streak)
        rec.state, rec.ready, rec.pid, rec.create_time = "crashed", False, None, None
        rec.last_exit_code, rec.next_start_at = code, now + wait
        rec.message = why
        self._crash_unreported = True
        if announce:
            self.say(rec, "error", f"[sparki] {rec.pod} {why}; restarting in {wait:.0f}s")
        self._keep_failed(rec, now, code, why)

    def _keep_failed(self, rec: ReplicaRecord, now: float, code: int | None, why: str) -> None:
        """Save the last lines of a crashed run under its revision: they outlive the replica's
        output files and the service's stream trimming, and name why a deploy failed."""
        try:
            logs.keep_failed(
                self.redis,
                rec.service_id,
                rec.revision,
                {
                    "pod": rec.pod,
                    "at": now,
                    "exitCode": code,
                    "reason": why,
                    "lines": list(self.recent.get(rec.pod, ())),
                },
            )
        except Exception:
            log.exception("agent: could not keep the last lines of %s", rec.pod)

    def stop_replica(self, rec: ReplicaRecord, now: float) -> None:
        if rec.state == "crashed" or not rec.pid:
            self._forget(rec)
            return
        rec.state, rec.ready, rec.stop_deadline = "stopping", False, now + STOP_GRACE_SECONDS
        self._kill_group(rec, signal.SIGTERM)
        self.say(rec, "info", f"[sparki] stopping {rec.pod}")

    def observe(self, now: float) -> None:
        for rec in list(self.records.values()):
            self._attempt(rec, "observe", self._observe, rec, now)

    def _observe(self, rec: ReplicaRecord, now: float) -> None:
        if rec.state == "crashed" or self._alive(rec):
            return
        proc = self.procs.pop(rec.pod, None)
        code = proc.returncode if proc is not None else None
        self._kill_group(rec, signal.SIGKILL)  # leftovers of the group
        # Its last words, a line without a newline included, before it is restarted.
        self._attempt(rec, "read the output of", self._tail, rec, True)
        if rec.state == "stopping":
            self._forget(rec)
        else:
            self._crashed(
                rec, now, code, f"exited with code {code}" if code is not None else "exited"
            )

    def finish_stops(self, now: float) -> None:
        for rec in list(self.records.values()):
            if rec.state == "stopping":
                self._attempt(rec, "stop", self._finish_stop, rec, now)

    def _finish_stop(self, rec: ReplicaRecord, now: float) -> None:
        if not self._alive(rec):
            self.procs.pop(rec.pod, None)
            self._forget(rec)
        elif rec.stop_deadline and now >= rec.stop_deadline:
            self._kill_group(rec, signal.SIGKILL)

    def _forget(self, rec: ReplicaRecord) -> None:
        self._attempt(rec, "read the output of", self._tail, rec, True)  # its last lines
        self.records.pop(rec.pod, None)
        self.procs.pop(rec.pod, None)
        self.recent.pop(rec.pod, None)
        for key in [k for k in self._failing if k[0] == rec.pod]:
            del self._failing[key]
        for path in (rec.log_out, rec.log_err):
            with contextlib.suppress(OSError):
                os.unlink(path)

    # --- logs ----------------------------------------------------------------------------------
    def say(self, rec: ReplicaRecord, level: str, message: str) -> None:
        try:
            logs.append(
                self.redis,
                rec.service_id,
                [(time.time(), level, message, rec.pod)],
                maxlen=self.maxlen,
            )
        except Exception:
            log.exception("agent: could not write a log line")

    def tail_logs(self) -> None:
        for rec in list(self.records.values()):
            self._attempt(rec, "read the output of", self._tail, rec)

    def _tail(self, rec: ReplicaRecord, final: bool = False) -> None:
        """Move new output lines into the log store; `final` (the process has exited) also
        takes a last line that has no newline, so it is never glued to the next run's."""
        entries = []
        for path, stream, attr in (
            (rec.log_out, "stdout", "off_out"),
            (rec.log_err, "stderr", "off_err"),
        ):
            lines, offset = self._read_lines(path, getattr(rec, attr), final=final)
            setattr(rec, attr, offset)
            now = time.time()
            entries.extend((now, logs.classify(line, stream), line, rec.pod) for line in lines)
        if entries:
            logs.append(self.redis, rec.service_id, entries, maxlen=self.maxlen)
            self.recent.setdefault(rec.pod, deque(maxlen=RECENT_LINES)).extend(
                e[2] for e in entries
            )

    @staticmethod
    def _read_lines(path: str, offset: int, *, final: bool = False) -> tuple[list[str], int]:
        """Whole lines written to `path` after `offset`, and the offset after them. A last
        line without its newline waits for the rest, unless `final` (the writer is gone) or
        it has grown past 64 KiB."""
        try:
            size = os.path.getsize(path)
        except OSError:
            return [], offset
        if size < offset:  # truncated underneath us
            offset = 0
        if size == offset:
            return [], offset
        with open(path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read(READ_CHUNK)
        end = chunk.rfind(b"\n")
        if final and len(chunk) < READ_CHUNK:
            end = len(chunk) - 1  # everything, a last line without a newline too
        if end < 0:
            if len(chunk) < 64 * 1024:
                return [], offset  # wait for the rest of the line
            end = len(chunk) - 1
        body = chunk[: end + 1]
        offset += len(body)
        if not body.endswith(b"\n"):
            body += b"\n"
        lines = [ln.decode("utf-8", "replace").rstrip("\r") for ln in body.split(b"\n")[:-1]]
        lines = [ln for ln in lines if ln.strip()]
        if offset >= size and size > LOG_FILE_MAX_BYTES:
            os.truncate(path, 0)  # the writer appends (O_APPEND) from the new end
            offset = 0
        return lines, offset

    # --- health --------------------------------------------------------------------------------
    def probe(self, now: float) -> None:
        jobs: list[tuple[ReplicaRecord, Any]] = []
        for rec in list(self.records.values()):
            self._attempt(rec, "probe", self._submit_probe, rec, now, jobs)
        for rec, future in jobs:
            try:
                ok, why = future.result(timeout=5)
            except Exception as exc:  # noqa: BLE001
                ok, why = False, type(exc).__name__
            self._attempt(rec, "probe", self._probed, rec, ok, why)

    def _submit_probe(self, rec: ReplicaRecord, now: float, jobs: list) -> None:
        if rec.state not in ("starting", "running") or not rec.pid:
            return
        spec = self.specs.get(rec.service_id)
        if spec is None:
            return
        if spec.get("type", "web") == "worker":
            if not rec.ready and now - (rec.started_at or now) >= 1.0:
                rec.ready, rec.state, rec.ready_at = True, "running", now
            return
        due = rec.last_probe_at is None or (
            now - rec.last_probe_at >= (self.probe_interval if rec.ready else 0)
        )
        if due:
            path = spec.get("health_check_path") or "/"
            jobs.append((rec, self.pool.submit(self._http_ok, rec.port, path)))

    def _probed(self, rec: ReplicaRecord, ok: bool, why: str) -> None:
        rec.last_probe_at = time.time()
        if ok:
            if not rec.ready:
                rec.ready_at = rec.last_probe_at
                self.say(rec, "info", f"[sparki] {rec.pod} is ready ({why})")
            rec.ready, rec.state, rec.probe_failures, rec.message = True, "running", 0, ""
            if rec.ready_at and rec.last_probe_at - rec.ready_at >= 10:
                rec.crash_streak = 0
        else:
            rec.probe_failures += 1
            rec.message = f"health check: {why}"
            if rec.ready and rec.probe_failures >= 3:
                rec.ready = False
                self.say(rec, "warn", f"[sparki] {rec.pod} failed 3 health checks ({why})")

    @staticmethod
    def _http_ok(port: int, path: str) -> tuple[bool, str]:
        try:
            resp = requests.get(f"http://127.0.0.1:{port}{path}", timeout=2, allow_redirects=False)
        except requests.RequestException as exc:
            return False, type(exc).__name__
        return 200 <= resp.status_code < 300, f"{path} answered {resp.status_code}"

    def report_health(self) -> None:
        """Hand what the agent sees (desired counts, replicas) to the services feature, which
        decides what it means (health status, events, alerts); the agent applies no rules."""
        from blueprints.services.health import Observation, record_observations

        observations: dict[str, Observation] = {}
        for sid, spec in self.specs.items():
            desired = sum(int(s["replicas"]) for s in spec.get("sets", []))
            observations[sid] = Observation(desired=desired, replicas=[])
        for rec in self.records.values():
            seen = observations.get(rec.service_id) or Observation(desired=0, replicas=[])
            status = replica_status(rec, self.node)
            observations[rec.service_id] = Observation(seen.desired, [*seen.replicas, status])
        with self.app.app_context():
            try:
                record_observations(observations)
            except Exception:
                log.exception("agent: could not record service health")
            finally:
                db.session.remove()

    def clean_workdirs(self) -> None:
        """Remove the working directories of services that no longer run here."""
        keep = set(self.specs) | {r.service_id for r in self.records.values()}
        try:
            found = list((self.data_dir / "work").iterdir())
        except OSError as exc:  # removed under us: the next start makes it again
            self._log_once(str(self.data_dir / "work"), "list", repr(exc))
            return
        for path in found:
            if path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    # --- state ---------------------------------------------------------------------------------
    def persist(self) -> None:
        """Write the replica records, the node name and a heartbeat in one script. The
        records' read-cache counter gets a value never used before when they changed since
        this agent last wrote them, or when the counter no longer holds the value this agent
        gave it (lost, restored from an older snapshot, or written by another agent): API
        answers kept from other records are then asked for no more."""
        records = {pod: json.dumps(rec.to_dict()) for pod, rec in self.records.items()}
        changed = "1" if records != self._persisted else "0"
        fresh = f"{time.time_ns():x}.{secrets.token_hex(4)}"
        pairs = [item for pod_record in records.items() for item in pod_record]
        self._generation = logs.as_text(
            self._persist_script(
                keys=[KEY_REPLICAS, KEY_HEARTBEAT, KEY_NODE, generation_key(REPLICAS_GENERATION)],
                args=[time.time(), self.node, self._generation, fresh, changed, *pairs],
            )
        )
        self._persisted = records


# KEYS: the records hash, the heartbeat, the node name, the records' read-cache counter.
# ARGV: heartbeat, node name, the counter's value as this agent last set it, a fresh value,
# "1" when the records changed, then pod, record pairs. Answers the counter's value.
_PERSIST = """
redis.call("del", KEYS[1])
for i = 6, #ARGV, 2 do
    redis.call("hset", KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call("set", KEYS[2], ARGV[1])
redis.call("set", KEYS[3], ARGV[2])
local current = redis.call("get", KEYS[4])
if ARGV[5] == "1" or current ~= ARGV[3] then
    redis.call("set", KEYS[4], ARGV[4])
    return ARGV[4]
end
return current
"""


def _check_spec(service_id: str, spec: dict[str, Any]) -> None:
    """Raise KeyError/TypeError/ValueError unless `spec` has what the agent reads from it."""
    if spec.get("service_id") != service_id or not isinstance(spec.get("org_id"), str):
        raise ValueError("the spec names another service or no organization")
    for s in spec.get("sets", []):
        if not isinstance(s["key"], str) or not isinstance(s["command"], str):
            raise TypeError("a replica set needs a key and a command")
        int(s["revision"]), int(s["replicas"])


def run_agent(app: Flask) -> None:
    """Run the agent in the foreground until SIGTERM/SIGINT (replicas keep running)."""
    agent = Agent(app)

    def _stop(signum: int, frame: Any) -> None:
        agent.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    agent.run()


def stop_all_replicas(app: Flask, *, grace: float = 10.0) -> int:
    """Stop every replica a (stopped) agent left running; returns how many were stopped.

    Desired state is untouched: the next agent start brings the services back. Refuses while
    an agent is running, since it would restart them at once.
    """
    agent = Agent(app)
    if agent.redis.exists(KEY_LOCK):
        raise RuntimeError(
            "an agent is running: stop it first (its lock expires 15 s after it stops)"
        )
    alive = [rec for rec in load_records(agent.redis) if agent._alive(rec)]
    for rec in alive:
        agent._kill_group(rec, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(agent._alive(rec) for rec in alive):
        time.sleep(0.1)
    for rec in alive:
        if agent._alive(rec):
            agent._kill_group(rec, signal.SIGKILL)
    agent.pool.shutdown(wait=False)
    return len(alive)
