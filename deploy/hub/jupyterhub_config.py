"""JupyterHub for one class on one machine (deploy/hub/README.md).

Started by ``deploy/hub/run_hub.py`` (``sudo make hub``), which creates the users, the
exchange and the runtime folder and passes them here in ``NNHUB_*`` variables:

* NNHUB_RUNTIME: the hub's runtime folder (hub state in ``hub/``, Jupyter config per role in
  ``jupyter/``);
* NNHUB_COURSE_ENV: the course environment every user's server runs from
  (``make shared-env``, plus jupyterhub for ``jupyterhub-singleuser``);
* NNHUB_INSTRUCTOR, NNHUB_STUDENTS (comma-separated): the only users who may log in;
* NNHUB_EXCHANGE: nbgrader's exchange root; NNHUB_REPO: the course repository (notebooks/);
* NNHUB_IP, NNHUB_PORT: where the hub listens (127.0.0.1:8000 unless told);
* NNHUB_HUB_PORT, NNHUB_PROXY_API_PORT: the hub's own port behind the proxy and the proxy's
  REST API, both on 127.0.0.1 (run_hub.py picks free ones, so two hubs on one machine do not
  clash on JupyterHub's fixed defaults, 8081 and 8001).

Authentication is PAM (the users' system passwords), spawning is LocalProcessSpawner: the hub
runs as root and starts each user's JupyterLab as that user, from the course environment.
"""

import os
import pwd
import shutil
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

RUNTIME = Path(os.environ["NNHUB_RUNTIME"])
COURSE_ENV = Path(os.environ["NNHUB_COURSE_ENV"])
INSTRUCTOR = os.environ["NNHUB_INSTRUCTOR"]
STUDENTS = [s for s in os.environ.get("NNHUB_STUDENTS", "").split(",") if s]
EXCHANGE = os.environ["NNHUB_EXCHANGE"]
REPO = Path(os.environ["NNHUB_REPO"])

# -- where the hub listens, its state ---------------------------------------------------------
c.JupyterHub.bind_url = f"http://{os.environ.get('NNHUB_IP', '127.0.0.1')}:{os.environ.get('NNHUB_PORT', '8000')}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("NNHUB_HUB_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('NNHUB_PROXY_API_PORT', '8001')}"
c.JupyterHub.db_url = f"sqlite:///{RUNTIME / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(RUNTIME / "hub" / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(RUNTIME / "hub" / "jupyterhub.pid")
proxy = os.environ.get("NNHUB_PROXY")
if proxy:
    c.ConfigurableHTTPProxy.command = [proxy]
c.ConfigurableHTTPProxy.pid_file = str(RUNTIME / "hub" / "proxy.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server
c.JupyterHub.cleanup_proxy = True

# -- who may log in: the class's users only, with their system passwords ------------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {INSTRUCTOR, *STUDENTS}
c.Authenticator.admin_users = set()  # nobody may open another user's server
c.PAMAuthenticator.open_sessions = False  # no systemd-logind session per server (containers)

# -- each user's server: JupyterLab from the course environment, as that user ------------------
c.JupyterHub.spawner_class = "localprocess"
# cd into the server's folder first: nbgrader's formgrader and Validate read nbgrader_config.py
# from the working directory (LocalProcessSpawner starts in the home folder)
c.Spawner.cmd = [
    "/bin/sh",
    "-c",
    'cd "$NNHUB_CWD" && exec "$0" "$@"',
    str(COURSE_ENV / "bin" / "jupyterhub-singleuser"),
]
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120  # a busy 2-core machine: JupyterLab may take a minute to start
c.Spawner.start_timeout = 180
c.Spawner.env_keep = ["LANG", "LC_ALL", "TZ"]


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    for folder, dirs, files in os.walk(path):
        os.lchown(folder, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, gid)


def pre_spawn_hook(spawner):
    """Role, folder and environment of the user's server; the course notebooks on first login."""
    name = spawner.user.name
    pw = pwd.getpwnam(name)
    home = Path(pw.pw_dir)
    if name == INSTRUCTOR:
        role = "instructor"
        cwd = home / "course" / "assignments"  # the course root: source/, gradebook.db, formgrader
    else:
        role = "student"
        cwd = home
        notebooks = home / "notebooks"
        if not notebooks.exists():  # first login: the student's own copy, theirs to change
            shutil.copytree(REPO / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            _chown_tree(notebooks, pw.pw_uid, pw.pw_gid)
    spawner.notebook_dir = str(cwd)
    spawner.environment.update(
        {
            "NNHUB_CWD": str(cwd),
            "PATH": f"{COURSE_ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "VIRTUAL_ENV": str(COURSE_ENV),
            # the role's lab/ folder first (it switches nbgrader's instructor tools off for
            # students), then the class's nbgrader config (course id, exchange, private submit)
            "JUPYTER_CONFIG_PATH": f"{RUNTIME / 'jupyter' / role}:{RUNTIME / 'jupyter' / 'common'}",
            "NBGRADER_EXCHANGE": EXCHANGE,
        }
    )


c.Spawner.pre_spawn_hook = pre_spawn_hook
