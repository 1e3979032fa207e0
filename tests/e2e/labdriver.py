"""Drive the course the way a student does: a JupyterLab server and Chromium pages.

Used by ``tests/e2e``. Three parts:

* :class:`LabServer` starts JupyterLab from this Python environment on
  127.0.0.1 (free port, random token, isolated Jupyter config/data/runtime
  dirs) and stops it together with every kernel it started.
* :class:`NotebookPage` wraps a Playwright page showing one notebook: run all
  cells through the menu, wait for the kernel, read outputs, move a widget
  control, take screenshots, click nbgrader's Validate button.
* Builders for the throwaway notebooks the test adds to its temporary course
  copy (a training run with a progress bar, a tiny nbgrader assignment) and
  :func:`release_assignment`, which runs ``nbgrader generate_assignment``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psutil

REPO = Path(__file__).resolve().parents[2]
# Screenshots go to $COURSE_REPORTS/screenshots (the Makefile's test targets: reports/), else to
# a folder in /tmp: a plain pytest run writes nothing into the checkout.
SCREENSHOTS = (
    Path(os.environ["COURSE_REPORTS"]) / "screenshots"
    if os.environ.get("COURSE_REPORTS")
    else Path(tempfile.gettempdir()) / "nn-course-screenshots"
)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium must not dial out on a closed network; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    CHROMIUM_ARGS.append("--no-sandbox")

STDERR_MIME = "application/vnd.jupyter.stderr"
# What a widget looks like when the browser could not render it: its Python repr
# as plain text, or the widget manager's placeholders and error messages.
UNRENDERED_WIDGET = re.compile(
    r"^\s*(?:HBox|VBox|IntProgress|FloatProgress|Explorer|\w+Slider)\(|"
    r"Loading widget\.\.\.|Error displaying widget",
    re.M,
)
# tqdm in text mode: "training: 100%|██████████| 2/2 [00:01<00:00, ...]"
TEXT_PROGRESS_BAR = re.compile(r"\d+%\|.*?\|\s*\d+/\d+|\|[█▏▎▍▌▋▊▉#]{3,}")
TEXT_MIMES = ("application/vnd.jupyter.stdout", STDERR_MIME, "text/plain")
# JupyterLab user settings for the test: no news/update checks (closed network),
# no extension manager (it queries PyPI), every cell attached to the DOM so that
# the screenshots show whole notebooks.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_jupyter_env(base: Path) -> dict:
    """Environment for a JupyterLab that ignores the user's Jupyter setup.

    Config, data, runtime, IPython and JupyterLab settings/workspace dirs live
    under ``base``; the environment's own ``share/jupyter`` (labextensions for
    ipywidgets, nbgrader, the kernelspec) and ``etc/jupyter`` (nbgrader's server
    extensions) are still found because they belong to ``sys.prefix``.
    """
    dirs = {name: base / name for name in ("config", "data", "runtime", "ipython", "workspaces")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    settings = dirs["config"] / "lab" / "user-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTERLAB_DIR", "JUPYTER_TOKEN")
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        JUPYTER_PREFER_ENV_PATH="1",
        JUPYTER_PLATFORM_DIRS="0",
        PYTHONUNBUFFERED="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    # the kernels and `make lab` must use this environment's executables
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def http_get(url: str, token: str | None = None, timeout: float = 5.0) -> tuple[int, str]:
    """Status and body of a GET (status 0 when nothing answers)."""
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, ""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, ""


def wait_until_serving(url: str, token: str, proc: subprocess.Popen, timeout: float, expect: str = "") -> float:
    """Poll ``url`` until it answers 200 (containing ``expect``); seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before serving {url}")
        status, body = http_get(url, token)
        if status == 200 and expect in body:
            return time.perf_counter() - start
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def stop_process_tree(proc: subprocess.Popen, grace: float = 20.0) -> list[str]:
    """Stop ``proc`` (a session leader) and every process it started, kernels included.

    Kernels run in sessions of their own, so killing the process group is not
    enough: the tree is collected first, then sent SIGTERM, then SIGKILL.

    Returns:
        Descriptions of processes still alive afterwards (empty when all are gone).
    """
    try:
        tree = [psutil.Process(proc.pid)]
        tree += tree[0].children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    for p in tree:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(tree, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    _, alive = psutil.wait_procs(alive, timeout=10)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    return [f"pid {p.pid} ({' '.join(p.cmdline()[:3])})" for p in alive if p.is_running()]


def log_tail(path: Path, chars: int = 6000) -> str:
    """The last ``chars`` characters of a server's log (empty while it has none)."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


class LabServer:
    """A JupyterLab on 127.0.0.1 serving ``root`` (also its working directory, where
    nbgrader's Validate handler reads ``nbgrader_config.py``)."""

    def __init__(self, root: Path, env: dict, log_path: Path):
        self.root, self.env, self.log_path = root, env, log_path
        self.port = free_port()
        self.token = os.urandom(16).hex()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.startup_s: float | None = None

    def start(self, timeout: float = 120.0) -> LabServer:
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.startup_s = wait_until_serving(f"{self.url}/api/status", self.token, self.proc, timeout)
        return self

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30.0):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read().decode()
            return json.loads(text) if text else None

    def shutdown_kernels(self) -> None:
        """Close every session and kernel (between notebooks: one kernel at a time)."""
        try:
            for session in self.api("GET", "/api/sessions"):
                self.api("DELETE", f"/api/sessions/{session['id']}")
            for kernel in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def log_tail(self, chars: int = 6000) -> str:
        return log_tail(self.log_path, chars)

    def stop(self) -> list[str]:
        """Shut the server down (kernels first); returns processes that survived it."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            self.shutdown_kernels()
            try:
                self.api("POST", "/api/shutdown", timeout=10)
            except (urllib.error.URLError, OSError):
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        survivors = stop_process_tree(self.proc)
        self.proc = None
        self._log.close()
        return survivors


class NotebookPage:
    """A Chromium page showing one JupyterLab notebook; collects console errors."""

    def __init__(self, page, server: LabServer):
        self.page, self.server = page, server
        self.console: list[str] = []
        page.on(
            "console",
            lambda m: self.console.append(f"console.{m.type}: {m.text}") if m.type in ("error", "assert") else None,
        )
        page.on("pageerror", lambda e: self.console.append(f"uncaught: {e}"))
        page.on("crash", lambda _: self.console.append("the page crashed"))

    # -- accessibility -------------------------------------------------------------------
    def audit(self, name: str) -> tuple[list[dict], list[dict]]:
        """axe-core's violations on the page: (JupyterLab's own, outside the notebook's outputs; the
        course's, inside them), each ``{id, impact, nodes, first}``; both written to
        ``<reports>/axe/lab/<name>.json``."""
        sys.path.insert(0, str(REPO / "docs"))
        import vendor

        self.page.add_script_tag(path=str(vendor.audit_script()))
        outputs = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
        run = """async context => (await axe.run(context, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, nodes: v.nodes.length, first: v.nodes[0].target.join(" "),
            sliderHandles: v.nodes.filter(n => n.html.includes("noUi-handle")).length,
        }))"""
        lab = self.page.evaluate(run, {"exclude": [[".jp-OutputArea-output"]]})
        inside = self.page.evaluate(run, {"include": [[outputs]]}) if self.page.locator(outputs).count() else []
        # ipywidgets' slider (noUiSlider) gives its handle no accessible name even when the widget has a
        # visible description (noUiSlider #1223): the widget library's, recorded apart from the course's
        library = [v for v in inside if v["id"] == "aria-input-field-name" and v["sliderHandles"] == v["nodes"]]
        course = [v for v in inside if v not in library]
        folder = SCREENSHOTS.parent / "axe" / "lab"
        folder.mkdir(parents=True, exist_ok=True)
        found = {"lab": lab, "ipywidgets": library, "course outputs": course}
        (folder / f"{name}.json").write_text(json.dumps(found, indent=1))
        return lab, course

    # -- opening and running ------------------------------------------------------------
    def open(self, path: str, timeout: float = 120.0) -> None:
        """Open ``path`` (relative to the server root) in a fresh JupyterLab workspace and
        wait for its kernel to be idle."""
        self.path = path
        self.page.goto(f"{self.server.url}/lab/tree/{path}?token={self.server.token}&reset", timeout=timeout * 1000)
        self.page.wait_for_function(
            """path => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                         if (!w || !w.context || w.context.path !== path || !w.sessionContext) return false;
                         const k = w.sessionContext.session && w.sessionContext.session.kernel;
                         return w.context.isReady && !!k && k.status === 'idle'
                                && k.connectionStatus === 'connected'; }""",
            arg=path,
            timeout=timeout * 1000,
            polling=250,
        )
        self.page.locator(".jp-NotebookPanel:visible .jp-Notebook").wait_for(timeout=timeout * 1000)

    @property
    def notebook(self):
        return self.page.locator(".jp-NotebookPanel:visible .jp-Notebook")

    def run_all_cells(self, timeout: float = 300.0) -> float:
        """Click Run > Run All Cells and wait until every code cell ran (or one failed)
        and the kernel is idle; returns the seconds it took."""
        start = time.perf_counter()
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).click()
        self.page.locator(".lm-Menu-item").filter(
            has=self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
        ).click()
        self.wait_until_executed(timeout)
        return time.perf_counter() - start

    def wait_until_executed(self, timeout: float) -> None:
        self.page.wait_for_function(
            """() => {
                const w = window.jupyterapp.shell.currentWidget;
                const k = w.sessionContext.session && w.sessionContext.session.kernel;
                if (k && ['dead', 'autorestarting', 'restarting'].includes(k.status)) return true;
                if (!k || k.status !== 'idle') return false;
                if ([...w.node.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*')))
                    return false;
                let allRun = true, failed = false;
                for (const cell of w.content.widgets) {
                    if (cell.model.type !== 'code') continue;
                    if (cell.model.sharedModel.getSource().trim() && cell.model.executionCount == null)
                        allRun = false;
                    if (cell.model.outputs.toJSON().some(o => o.output_type === 'error')) failed = true;
                }
                return allRun || failed;
            }""",
            timeout=timeout * 1000,
            polling=500,
        )
        status = self.kernel_status()
        if status != "idle":
            raise AssertionError(f"the kernel is {status!r} after Run All Cells (did it crash or run out of memory?)")
        self.settle_widgets()

    def settle_widgets(self, timeout: float = 30.0) -> None:
        """Wait until no widget output still shows the manager's placeholder."""
        self.page.wait_for_function(
            """() => ![...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output')]
                       .some(o => o.textContent.includes('Loading widget...'))""",
            timeout=timeout * 1000,
            polling=250,
        )

    # -- one cell at a time, as a student works --------------------------------------------
    def select_cell(self, index: int) -> None:
        """Make cell ``index`` the active one and scroll it into view."""
        self.page.evaluate(
            """i => { const nb = window.jupyterapp.shell.currentWidget.content;
                      nb.activeCellIndex = i; nb.scrollToItem(i); }""",
            index,
        )
        self.page.wait_for_timeout(300)

    def run_cell(self, index: int, timeout: float = 120.0) -> None:
        """Select cell ``index`` and press Shift+Enter; wait until it ran and the kernel is idle."""
        self.select_cell(index)
        before = self.page.evaluate(
            "i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount", index
        )
        self.page.locator(".jp-NotebookPanel:visible .jp-Cell.jp-mod-active .jp-InputArea-prompt").first.click()
        self.page.keyboard.press("Shift+Enter")
        self.page.wait_for_function(
            """([i, before]) => { const w = window.jupyterapp.shell.currentWidget;
                 const k = w.sessionContext.session && w.sessionContext.session.kernel;
                 const n = w.content.widgets[i].model.executionCount;
                 return k && k.status === 'idle' && n != null && n !== before; }""",
            arg=[index, before],
            timeout=timeout * 1000,
            polling=250,
        )

    def type_into_cell(self, index: int, code: str) -> None:
        """Click into cell ``index``'s editor, select everything and type ``code`` over it
        (inserted as text, the way a paste arrives: no auto-indent or bracket closing)."""
        self.select_cell(index)
        editor = self.page.locator(".jp-NotebookPanel:visible .jp-Cell.jp-mod-active .cm-content").first
        editor.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Escape")
        typed = self.page.evaluate(
            "i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.sharedModel.getSource()", index
        )
        assert typed == code, f"the editor holds {typed[:200]!r}, not what was typed"

    def cell_output_text(self, index: int) -> str:
        """The text a student reads under cell ``index`` (streams and text/plain)."""
        return self.page.evaluate(
            """i => window.jupyterapp.shell.currentWidget.content.widgets[i].model.outputs.toJSON()
                    .map(o => o.text || (o.data && o.data['text/plain']) || o.evalue || '').join('')""",
            index,
        )

    # -- reading outputs -------------------------------------------------------------------
    def error_outputs(self) -> list[str]:
        """Text of every output a student would see as an error (tracebacks, stderr)."""
        return self.notebook.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"]').all_inner_texts()

    def unexecuted_cells(self) -> list[str]:
        return self.page.evaluate(
            """() => window.jupyterapp.shell.currentWidget.content.widgets
                     .filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim()
                                  && c.model.executionCount == null)
                     .map(c => c.model.sharedModel.getSource().split('\\n')[0])"""
        )

    def rendered_images(self) -> int:
        """Number of images (PNG/JPEG/SVG outputs, and figures shown as an HTML ``<img>``
        with alt text) that loaded with a non-zero size."""
        return self.notebook.evaluate(
            """nb => [...nb.querySelectorAll('.jp-RenderedImage img, .jp-RenderedSVG svg, .jp-RenderedHTMLCommon img')]
                     .filter(el => el.tagName.toLowerCase() === 'svg'
                                   || (el.complete && el.naturalWidth > 0)).length"""
        )

    def images_without_alt(self) -> list[str]:
        """The ``src`` (start) of every rendered output image that has no alt text."""
        return self.notebook.evaluate(
            """nb => [...nb.querySelectorAll('.jp-OutputArea-output img')]
                     .filter(el => !(el.getAttribute('alt') || '').trim())
                     .map(el => el.src.slice(0, 60))"""
        )

    def output_texts(self, text_only: bool = False) -> list[str]:
        """Inner text of every output (``text_only``: only stdout, stderr and text/plain)."""
        selector = (
            ", ".join(f'.jp-OutputArea-output[data-mime-type="{m}"]' for m in TEXT_MIMES)
            if text_only
            else ".jp-OutputArea-output"
        )
        return self.notebook.locator(selector).all_inner_texts()

    def widget_views(self):
        """Cell outputs rendered by the ipywidgets manager (a widget-view mime bundle)."""
        return self.notebook.locator(
            ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output:has(> .jupyter-widgets)"
        )

    def progress_bars(self):
        return self.notebook.locator(".widget-hprogress, .widget-vprogress")

    # -- widgets -----------------------------------------------------------------------------
    CONTROLS = ".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-checkbox, .widget-radio"

    def interactive_views(self) -> list:
        """Widget outputs that contain a control a student can move."""
        return [v for v in self.widget_views().all() if v.locator(self.CONTROLS).count()]

    @staticmethod
    def view_state(view) -> str:
        """What a control drives: the pixels (image data) and text of the view's
        output areas, without the controls' own readouts."""
        return view.evaluate(
            """v => {
                const areas = v.querySelectorAll('.widget-output, .widget-html-content, .widget-image');
                const scope = areas.length ? [...areas] : [v];
                const parts = [];
                for (const a of scope) {
                    for (const img of a.querySelectorAll('img')) parts.push('img:' + img.src);
                    if (a.tagName === 'IMG') parts.push('img:' + a.src);
                    for (const svg of a.querySelectorAll('svg')) parts.push('svg:' + svg.outerHTML);
                    const clone = a.cloneNode(true);
                    clone.querySelectorAll('.widget-readout, .widget-label, select, button, input')
                         .forEach(e => e.remove());
                    parts.push('text:' + clone.textContent);
                }
                return parts.join('\\n');
            }"""
        )

    def change_control(self, view) -> str:
        """Move the first control in ``view`` the way a student would; returns what was done."""
        slider = view.locator(".widget-slider .noUi-handle")
        if slider.count():
            handle, track = slider.first, view.locator(".widget-slider .noUi-target").first
            handle.scroll_into_view_if_needed()
            h, t = handle.bounding_box(), track.bounding_box()
            x, y = h["x"] + h["width"] / 2, h["y"] + h["height"] / 2
            dx = 0.3 * t["width"] * (1 if x < t["x"] + t["width"] / 2 else -1)
            self.page.mouse.move(x, y)
            self.page.mouse.down()
            for i in range(1, 6):
                self.page.mouse.move(x + dx * i / 5, y, steps=2)
            self.page.mouse.up()
            return f"dragged slider {dx:+.0f}px"
        dropdown = view.locator(".widget-dropdown select")
        if dropdown.count():
            sel = dropdown.first
            options = sel.locator("option").all_inner_texts()
            current = sel.evaluate("s => s.selectedIndex")
            target = (current + 1) % len(options)
            sel.select_option(index=target)
            return f"selected {options[target]!r} in a dropdown"
        toggles = view.locator(".widget-toggle-buttons button:not(.mod-active)")
        if toggles.count():
            toggles.first.click()
            return "clicked a toggle button"
        radios = view.locator(".widget-radio input:not(:checked)")
        if radios.count():
            radios.first.check()
            return "picked a radio button"
        view.locator(".widget-checkbox input").first.click()
        return "clicked a checkbox"

    def wait_for_view_change(self, view, before: str, timeout: float = 90.0) -> float:
        """Seconds until ``view_state(view)`` differs from ``before`` and the kernel is idle."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.kernel_status() == "idle" and self.view_state(view) != before:
                time.sleep(0.5)  # a drag queues a few renders: let the last one land
                if self.kernel_status() == "idle":
                    return time.perf_counter() - start
            time.sleep(0.25)
        raise AssertionError(f"the output linked to the control did not change within {timeout:.0f} s")

    def kernel_status(self) -> str:
        return self.page.evaluate(
            """() => { const w = window.jupyterapp.shell.currentWidget;
                       const k = w && w.sessionContext && w.sessionContext.session
                                 && w.sessionContext.session.kernel;
                       return k ? k.status : 'none'; }"""
        )

    # -- nbgrader ------------------------------------------------------------------------------
    def validate(self, timeout: float = 300.0) -> tuple[str, str]:
        """Click nbgrader's Validate button; returns ("success"|"error", dialog text)."""
        self.page.locator(".jp-NotebookPanel:visible .validate-button").first.click()
        dialog = self.page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
        dialog.first.wait_for(timeout=timeout * 1000)
        kind = "success" if self.page.locator(".nbgrader-SuccessDialog").count() else "error"
        return kind, dialog.first.inner_text()

    def close_dialog(self) -> None:
        self.page.locator(".jp-Dialog button.jp-Dialog-button").last.click()
        self.page.locator(".jp-Dialog").wait_for(state="detached")

    # -- screenshots ---------------------------------------------------------------------------
    def screenshot_notebook(self, name: str, max_height: int = 8000) -> list[Path]:
        """Screenshots of the whole notebook: the window is made as tall as the notebook
        (a long one is cut into parts of ``max_height`` pixels). Returns the files written."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        scroller = self.page.locator(".jp-NotebookPanel:visible .jp-WindowedPanel-outer").first
        original = self.page.viewport_size
        height = scroller.evaluate("s => s.scrollHeight")
        chrome = original["height"] - scroller.bounding_box()["height"]  # menus, tabs, toolbar
        tops = list(range(0, max(height, 1), max_height))
        files = []
        try:
            for part, top in enumerate(tops, start=1):
                part_h = min(max_height, height - top)
                self.page.set_viewport_size({"width": original["width"], "height": int(part_h + chrome)})
                scroller.evaluate("(s, top) => { s.scrollTop = top; }", top)
                self.page.wait_for_timeout(300)
                path = SCREENSHOTS / (f"{name}.png" if len(tops) == 1 else f"{name}-part{part}.png")
                self.page.screenshot(path=path)
                files.append(path)
        finally:
            self.page.set_viewport_size(original)
            scroller.evaluate("s => { s.scrollTop = 0; }")
        return files

    def screenshot(self, name: str, element=None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        (element or self.page).screenshot(path=path)
        return path


# -- throwaway notebooks --------------------------------------------------------------------------
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, cells: list) -> Path:
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def progress_bar_notebook(path: Path) -> Path:
    """A two-epoch ``course_utils.training.fit`` run: its tqdm.auto bar must be a widget."""
    return write_notebook(
        path,
        [
            nbformat.v4.new_markdown_cell("# Training progress bar (end-to-end test fixture)"),
            nbformat.v4.new_code_cell(
                "import torch\nfrom torch import nn\n\n"
                "from course_utils import device, seed_everything\n"
                "from course_utils.datasets import tensor_loader\n"
                "from course_utils.training import fit\n\n"
                "seed_everything(0)\n"
                "X = torch.randn(256, 2)\ny = (X[:, 0] > 0).long()\n"
                "model = nn.Linear(2, 2)\n"
                "history = fit(model, tensor_loader(X, y, batch_size=32), epochs=2,\n"
                "              optimizer=torch.optim.SGD(model.parameters(), lr=0.5), desc='training')\n"
                "assert len(history) == 2"
            ),
        ],
    )


def fixture_assignment_source(course: Path, name: str = "e2e_fixture") -> Path:
    """A minimal nbgrader source assignment: one autograded answer cell, one test cell."""

    def meta(**nbgrader):
        return {"nbgrader": {"schema_version": 3, **nbgrader}}

    path = course / "source" / name / f"{name}.ipynb"
    write_notebook(
        path,
        [
            nbformat.v4.new_markdown_cell(
                "# Doubling (end-to-end test fixture)\n\nWrite `double(x)`.",
                metadata=meta(grade=False, solution=False, locked=True, grade_id="intro"),
            ),
            nbformat.v4.new_code_cell(
                "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                metadata=meta(grade=False, solution=True, locked=False, grade_id="answer"),
            ),
            nbformat.v4.new_code_cell(
                "assert double(3) == 6\nassert double(-1.5) == -3.0",
                metadata=meta(grade=True, solution=False, locked=True, points=1, grade_id="test_double"),
            ),
        ],
    )
    return path


def release_assignment(course: Path, name: str) -> Path:
    """``nbgrader generate_assignment NAME --force`` in ``course``; the release folder."""
    # nbgrader runs `alembic` from PATH: this environment's bin must be on it
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", f"--CourseDirectory.root={course}"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    release = course / "release" / name
    if result.returncode != 0 or not release.is_dir():
        raise RuntimeError(
            f"nbgrader generate_assignment {name} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return release


def solved_copy(source_nb: Path, released_nb: Path, target: Path) -> Path:
    """The released notebook with every answer cell filled in from the reference
    solution (matched by nbgrader grade_id): what a student who solved it hands in."""
    source = nbformat.read(source_nb, as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    released = nbformat.read(released_nb, as_version=4)
    filled = 0
    for cell in released.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution") and nbg.get("grade_id") in answers:
            cell.source = answers[nbg["grade_id"]]
            filled += 1
    if not filled:
        raise ValueError(f"{released_nb} has no answer cell matching {source_nb}")
    nbformat.write(released, target)
    return target


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"), dirs_exist_ok=True)
