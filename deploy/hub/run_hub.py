"""Start JupyterHub for one class on this machine; remove its users when it stops.

Run as root (``sudo make hub``)::

    sudo .venv/bin/python deploy/hub/run_hub.py --course-env /opt/nn-course --students 4

It creates the instructor and the students as local users (``nnhub-teacher``,
``nnhub-student1`` ..., with random passwords it prints), the instructor's course in
``~/course/assignments`` (made private: ``grader/privacy.py``), the nbgrader exchange
(``assignments/setup_exchange.sh``), and starts JupyterHub with ``deploy/hub/jupyterhub_config.py``
on 127.0.0.1:8000 (the hub's own port and the proxy's API port: free ones unless told). Ctrl-C or
SIGTERM stops the hub and every user's server, then deletes the users, their homes, the
exchange (unless ``--exchange`` named one) and the runtime folder. See deploy/hub/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from grader.privacy import GENERATED, make_private

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MARK = "nnhub class user (deploy/hub/run_hub.py)"  # the GECOS field of every user made here


def log(msg: str) -> None:
    print(f"[run_hub {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--course-env", default=os.environ.get("COURSE_ENV") or "/opt/nn-course")
    p.add_argument("--prefix", default="nnhub-", help="prefix of every user name (default nnhub-)")
    p.add_argument("--instructor", default="teacher")
    p.add_argument("--students", default="4", help="a number N (student1..N) or comma-separated names (default 4)")
    p.add_argument("--password", default=os.environ.get("HUB_PASSWORD"), help="one password for all (default: random)")
    p.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--hub-port", type=int, default=0, help="the hub's own port behind the proxy (default: a free one)")
    p.add_argument("--proxy-api-port", type=int, default=0, help="the proxy's REST API port (default: a free one)")
    p.add_argument(
        "--home-mode",
        default="700",
        help="mode of the users' homes, in octal (default 700; Debian's useradd makes 755: the instructor's "
        "course folder is made private either way)",
    )
    p.add_argument("--home-base", default="/home", help="the users' homes go here (default /home)")
    p.add_argument("--exchange", help="nbgrader exchange root to use and keep (default: a new one, removed at the end)")
    p.add_argument("--runtime", help="runtime folder (default: a new /tmp/nnhub-*, removed at the end)")
    p.add_argument(
        "--proxy", default=str(REPO / "build" / "hub-node" / "node_modules" / ".bin" / "configurable-http-proxy")
    )
    p.add_argument("--info-file", help="write the URL, users and passwords here as JSON (mode 600)")
    args = p.parse_args(argv)
    names = [s.strip() for s in args.students.split(",") if s.strip()]
    if len(names) == 1 and names[0].isdigit():
        names = [f"student{i}" for i in range(1, int(names[0]) + 1)]
    try:
        args.home_mode = int(str(args.home_mode), 8)
    except ValueError:
        p.error(f"--home-mode {args.home_mode!r} is not an octal mode such as 700 or 755")
    args.instructor_user = args.prefix + args.instructor
    args.student_users = [args.prefix + n for n in names]
    return args


def user_exists(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def remove_user(name: str) -> None:
    pw = user_exists(name)
    if pw is None:
        return
    if pw.pw_gecos != MARK:
        raise SystemExit(
            f"run_hub: user {name} exists and was not made by run_hub.py: left alone, choose another --prefix"
        )
    for _ in range(3):  # the user's servers and kernels, then the user
        run(["pkill", "-KILL", "-u", name])
        if run(["userdel", "--remove", name]).returncode == 0:
            break
        time.sleep(0.5)
    if user_exists(name):
        log(f"could not remove user {name}")
    if run(["getent", "group", name]).returncode == 0:
        run(["groupdel", name])


def create_user(name: str, home_base: Path, password: str, home_mode: int = 0o700) -> Path:
    home = home_base / name
    command = ["useradd", "--create-home", "--home-dir", str(home), "--user-group", "--shell", "/bin/bash"]
    for _ in range(10):  # another admin tool (or a second class) may hold /etc/passwd's lock for a moment
        done = run([*command, "--comment", MARK, name])
        if done.returncode == 0 or "lock" not in done.stderr:
            break
        time.sleep(1)
    if done.returncode:
        raise SystemExit(f"run_hub: useradd {name} failed: {done.stderr.strip()}")
    os.chmod(home, home_mode)  # 700 by default: nobody else reads a user's home, a student's work
    done = run(["chpasswd"], input=f"{name}:{password}\n")
    if done.returncode:
        raise SystemExit(f"run_hub: chpasswd {name} failed: {done.stderr.strip()}")
    return home


def chown_tree(path: Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    for folder, dirs, files in os.walk(path):
        os.lchown(folder, pw.pw_uid, pw.pw_gid)
        for n in dirs + files:
            os.lchown(os.path.join(folder, n), pw.pw_uid, pw.pw_gid)


def check_course_env(env: Path) -> None:
    missing = [
        b for b in ("python", "jupyter-lab", "nbgrader", "jupyterhub-singleuser") if not (env / "bin" / b).exists()
    ]
    if missing:
        from importlib.metadata import version

        raise SystemExit(
            f"run_hub: {env} lacks {', '.join(missing)}. Build the course environment (it brings JupyterHub's "
            f"single-user server, jupyterhub {version('jupyterhub')}):\n  sudo make shared-env COURSE_ENV={env}"
        )


def free_port(avoid: set[int] = frozenset()) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (and not one in ``avoid``)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


def wait_for_hub(url: str, hub_port: int, hub: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until the hub answers, first on its own port, then through the proxy.

    Asking the proxy before the hub has given it its routes makes the proxy log an error
    (``404 GET /hub/health``) for each try, so the proxy is asked only once the hub answers."""
    start = time.monotonic()
    for target in (f"http://127.0.0.1:{hub_port}/hub/health", f"{url}/hub/health"):
        while True:
            if hub.poll() is not None:
                raise SystemExit(f"run_hub: JupyterHub exited with {hub.returncode} while starting")
            if time.monotonic() - start > timeout:
                raise SystemExit(f"run_hub: JupyterHub did not answer on {target} within {timeout:.0f} s")
            try:
                with urllib.request.urlopen(target, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.5)
    return time.monotonic() - start


def stop_hub(hub: subprocess.Popen | None) -> None:
    if hub is None or hub.poll() is not None:
        return
    hub.send_signal(signal.SIGTERM)  # the hub stops the users' servers and the proxy
    try:
        hub.wait(90)
    except subprocess.TimeoutExpired:
        hub.kill()
        hub.wait(10)


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("run_hub: run as root (it creates users and spawns their servers); see deploy/hub/README.md")
    env = Path(args.course_env)
    check_course_env(env)
    if not Path(args.proxy).exists():
        raise SystemExit(
            f"run_hub: {args.proxy} missing: npm install --prefix build/hub-node configurable-http-proxy@5.3.0"
        )
    users = [args.instructor_user, *args.student_users]
    # Ctrl-C and SIGTERM both stop the hub and clean up; SIGINT explicitly too, because a process
    # started in the background by a non-interactive shell inherits SIGINT ignored.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    for name in users:  # leftovers of a run that was killed
        remove_user(name)

    own_runtime = args.runtime is None
    runtime = Path(args.runtime or tempfile.mkdtemp(prefix="nnhub-", dir="/tmp"))
    hub = None
    try:
        t0 = time.monotonic()
        runtime.mkdir(parents=True, exist_ok=True)
        os.chmod(runtime, 0o755)
        (runtime / "hub").mkdir(mode=0o700, exist_ok=True)
        exchange = Path(args.exchange) if args.exchange else runtime / "exchange"
        home_base = Path(args.home_base)
        home_base.mkdir(parents=True, exist_ok=True)

        passwords = {u: args.password or secrets.token_urlsafe(12) for u in users}
        homes = {u: create_user(u, home_base, passwords[u], args.home_mode) for u in users}

        # the instructor's course: assignments/ (source/, nbgrader_config.py), a copy with a clone's
        # ordinary modes, made private (grader/privacy.py) before the hub starts
        course = homes[args.instructor_user] / "course"
        shutil.copytree(REPO / "assignments", course / "assignments", ignore=shutil.ignore_patterns(*GENERATED))
        chown_tree(course, args.instructor_user)
        for folder, _, _ in os.walk(course):
            os.chmod(folder, 0o755)
        make_private(course / "assignments")

        # Jupyter config per role (lab/), and the class's nbgrader config for everyone
        jupyter = runtime / "jupyter"
        for role in ("student", "instructor"):
            shutil.copytree(REPO / "lab" / role, jupyter / role, dirs_exist_ok=True)
        (jupyter / "common").mkdir(parents=True, exist_ok=True)
        done = run(
            [
                "bash",
                str(REPO / "assignments" / "setup_exchange.sh"),
                "--config",
                str(jupyter / "common" / "nbgrader_config.py"),
            ],
            env=dict(os.environ, NBGRADER_EXCHANGE=str(exchange), PYTHON=str(env / "bin" / "python")),
        )
        if done.returncode:
            raise SystemExit(f"run_hub: setup_exchange.sh failed:\n{done.stdout}{done.stderr}")
        run(["chmod", "-R", "a+rX", str(jupyter)])
        log(f"users, course and exchange ready in {time.monotonic() - t0:.1f} s (exchange {exchange})")

        url = f"http://{args.ip}:{args.port}"
        hub_port = args.hub_port or free_port()
        proxy_api_port = args.proxy_api_port or free_port(avoid={hub_port})
        hub_env = dict(
            os.environ,
            NNHUB_RUNTIME=str(runtime),
            NNHUB_COURSE_ENV=str(env),
            NNHUB_INSTRUCTOR=args.instructor_user,
            NNHUB_STUDENTS=",".join(args.student_users),
            NNHUB_EXCHANGE=str(exchange),
            NNHUB_REPO=str(REPO),
            NNHUB_IP=args.ip,
            NNHUB_PORT=str(args.port),
            NNHUB_HUB_PORT=str(hub_port),
            NNHUB_PROXY_API_PORT=str(proxy_api_port),
            NNHUB_PROXY=str(Path(args.proxy).resolve()),
            PATH=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        )
        hub = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(HERE / "jupyterhub_config.py")],
            cwd=runtime / "hub",
            env=hub_env,
        )
        took = wait_for_hub(url, hub_port, hub)
        info = {
            "url": url,
            "instructor": args.instructor_user,
            "students": args.student_users,
            "passwords": passwords,
            "homes": {u: str(h) for u, h in homes.items()},
            "exchange": str(exchange),
            "runtime": str(runtime),
            "course_env": str(env),
            "hub_pid": hub.pid,
            "hub_port": hub_port,
            "proxy_api_port": proxy_api_port,
        }
        if args.info_file:
            fd = os.open(args.info_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(info, fh, indent=1)
        log(f"JupyterHub ready at {url} after {took:.1f} s; log in as:")
        for u in users:
            log(f"  {u:24s} password {passwords[u]}" + ("   (instructor)" if u == args.instructor_user else ""))
        log("Ctrl-C stops the hub and removes these users and their homes")
        hub.wait()
        log(f"JupyterHub exited with {hub.returncode}")
        return hub.returncode or 0
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish cleaning up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        t1 = time.monotonic()
        stop_hub(hub)
        for name in users:
            remove_user(name)
        if not args.exchange:
            shutil.rmtree(runtime / "exchange", ignore_errors=True)
        if own_runtime:
            shutil.rmtree(runtime, ignore_errors=True)
        left = [u for u in users if user_exists(u)]
        log(f"stopped and cleaned up in {time.monotonic() - t1:.1f} s" + (f"; users LEFT: {left}" if left else ""))


if __name__ == "__main__":
    sys.exit(main())
