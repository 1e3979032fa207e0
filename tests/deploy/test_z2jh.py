"""The Zero to JupyterHub deployment on paper (deploy/z2jh/), checked without a cluster.

Nothing can be deployed or built on the course's machines (no Kubernetes, no Docker daemon), so
these checks are static: the values use keys of the chart's schema; the per-user memory limit holds
what benchmarks/measure_memory.py measured (a heavier notebook, or a new one, fails here until it
is measured and the limits are raised); the thread variables, the exchange root, the torch pin and
the roles agree between the values, the image and the course's own files; the hub's Python
(hub.extraConfig) runs against fake spawners; SIZING.md quotes the measured numbers.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import statistics
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
Z2JH = ROOT / "deploy" / "z2jh"
VALUES_FILE = Z2JH / "values.yaml"
DOCKERFILE = Z2JH / "Dockerfile"
MEASURED = json.loads((Z2JH / "measured-memory.json").read_text())
VALUES = yaml.safe_load(VALUES_FILE.read_text())
SIZING = (ROOT / "deploy" / "SIZING.md").read_text()

# The keys of the jupyterhub chart's values.schema.yaml (chart 4.4.0, JupyterHub 5.5.0) below the
# sections this deployment uses: parent path -> the keys the schema allows there. A path not
# listed here is a leaf or free-form in the schema (hub.config is any JupyterHub traitlets
# config, custom anything, extraEnv / extraFiles / extraVolumes Kubernetes' or files' own syntax).
SCHEMA_CHILDREN = {
    "": "enabled fullnameOverride nameOverride imagePullSecret imagePullSecrets hub proxy singleuser scheduling "
    "ingress httpRoute prePuller custom cull debug rbac global",
    "hub": "revisionHistoryLimit config extraFiles baseUrl command args cookieSecret image networkPolicy db labels "
    "initContainers extraEnv extraConfig fsGid service pdb existingSecret nodeSelector tolerations activeServerLimit "
    "allowNamedServers annotations authenticatePrometheus concurrentSpawnLimit consecutiveFailureLimit "
    "podSecurityContext containerSecurityContext deploymentStrategy extraContainers extraVolumeMounts extraVolumes "
    "livenessProbe readinessProbe namedServerLimitPerUser redirectToServer resources lifecycle services loadRoles "
    "shutdownOnLogout templatePaths templateVars serviceAccount extraPodSpec",
    "hub.db": "type pvc upgrade url password",
    "hub.db.pvc": "annotations selector storage accessModes storageClassName subPath",
    "hub.image": "name tag pullPolicy pullSecrets",
    "hub.pdb": "enabled maxUnavailable minAvailable",
    "singleuser": "networkPolicy podNameTemplate cpu memory image initContainers profileList extraFiles extraEnv "
    "nodeSelector extraTolerations extraNodeAffinity extraPodAffinity extraPodAntiAffinity cloudMetadata cmd "
    "defaultUrl events extraAnnotations extraContainers extraLabels extraPodConfig extraResource fsGid "
    "lifecycleHooks networkTools serviceAccountName startTimeout storage allowPrivilegeEscalation uid",
    "singleuser.networkPolicy": "enabled ingress egress egressAllowRules interNamespaceAccessLabels "
    "allowedIngressPorts",
    "singleuser.networkPolicy.egressAllowRules": "cloudMetadataServer dnsPortsCloudMetadataServer "
    "dnsPortsKubeSystemNamespace dnsPortsPrivateIPs nonPrivateIPs privateIPs",
    "singleuser.cpu": "limit guarantee",
    "singleuser.memory": "limit guarantee",
    "singleuser.image": "name tag pullPolicy pullSecrets",
    "singleuser.cloudMetadata": "blockWithIptables ip",
    "singleuser.lifecycleHooks": "postStart preStop",
    "singleuser.storage": "capacity dynamic extraLabels extraVolumeMounts extraVolumes homeMountPath static type",
    "singleuser.storage.dynamic": "pvcNameTemplate storageAccessModes storageClass subPath volumeNameTemplate",
    "singleuser.storage.static": "pvcName subPath",
    "scheduling": "userScheduler podPriority userPlaceholder corePods userPods",
    "scheduling.userScheduler": "enabled revisionHistoryLimit replicas image pdb nodeSelector tolerations labels "
    "annotations containerSecurityContext logLevel plugins pluginConfig resources serviceAccount extraPodSpec",
    "scheduling.podPriority": "enabled globalDefault defaultPriority imagePullerPriority userPlaceholderPriority",
    "scheduling.userPlaceholder": "enabled image revisionHistoryLimit replicas labels annotations resources "
    "containerSecurityContext extraPodSpec",
    "scheduling.corePods": "tolerations nodeAffinity",
    "scheduling.corePods.nodeAffinity": "matchNodePurpose",
    "scheduling.userPods": "tolerations nodeAffinity",
    "scheduling.userPods.nodeAffinity": "matchNodePurpose",
    "prePuller": "revisionHistoryLimit labels annotations resources extraTolerations hook continuous "
    "pullProfileListImages extraImages containerSecurityContext pause",
    "prePuller.hook": "enabled pullOnlyOnChanges podSchedulingWaitDuration nodeSelector tolerations "
    "containerSecurityContext image resources serviceAccount serviceAccountImagePuller daemonsetAnnotations",
    "prePuller.continuous": "enabled serviceAccount daemonsetAnnotations",
    "cull": "enabled users adminUsers removeNamedServers timeout every concurrency maxAge",
}
# The keys the brief of this deployment names, and the ones its checks below rely on.
REQUIRED = [
    "singleuser.image.name",
    "singleuser.image.tag",
    "singleuser.memory.limit",
    "singleuser.memory.guarantee",
    "singleuser.cpu.limit",
    "singleuser.cpu.guarantee",
    "singleuser.extraEnv",
    "singleuser.storage.extraVolumes",
    "singleuser.storage.extraVolumeMounts",
    "singleuser.defaultUrl",
    "cull.enabled",
    "cull.timeout",
    "hub.db.type",
    "hub.extraConfig",
]
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
# JupyterHub's ByteSpecification (memory.limit / guarantee): K, M, G, T are powers of 1024.
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def get(data: dict, dotted: str, default=None):
    """``dotted`` ("a.b.c") looked up in ``data``, as z2jh's own get_config does in the hub."""
    value = data
    for level in dotted.split("."):
        if not isinstance(value, dict) or level not in value:
            return default
        value = value[level]
    return value


def mib(spec) -> float:
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([KMGT]?)", str(spec))
    assert match, f"{spec!r} is not a JupyterHub byte specification (a number, optionally K, M, G or T)"
    return float(match[1]) * UNITS[match[2]] / 2**20


def kernels() -> list[float]:
    return sorted(MEASURED["kernels_mib"].values(), reverse=True)


def student_needs() -> tuple[float, float]:
    """(guarantee, limit) floors of a student's server, as SIZING.md derives them: the Lab
    server plus the largest kernel; plus the second largest too (two notebooks run at once)."""
    k = kernels()
    return MEASURED["server_mib"] + k[0], MEASURED["server_mib"] + k[0] + k[1]


def instructor() -> dict:
    return VALUES["custom"]["nnCourse"]["instructor"]


def grading_jobs() -> int:
    args = shlex.split(instructor()["extraEnv"]["GRADE_ARGS"])
    return int(args[args.index("--jobs") + 1])


def instructor_needs() -> tuple[float, float]:
    """(guarantee, limit) floors of the instructor's server (SIZING.md): the Lab server, the largest
    kernel, the grader's coordinator and zygote, and per parallel job either the largest measured
    student (worker + student process) or, at worst, a worker whose student process grows by the
    grader's whole --memory-mb."""
    grader = MEASURED["grader"]
    base = MEASURED["server_mib"] + kernels()[0] + grader["coordinator_mib"] + grader["zygote_mib"]
    worst_worker = max(s["worker_mib"] for s in grader["per_student"].values())
    jobs = grading_jobs()
    return base + jobs * grader["worker_mib"], base + jobs * (worst_worker + grader["memory_mb_limit"])


def dockerfile_stages() -> dict[str, str]:
    """The Dockerfile's text per build stage (``FROM ... AS name``), line continuations joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages, name = {}, None
    for line in text.splitlines():
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, flags=re.I)
        if match:
            name = match[1]
            stages[name] = ""
        if name:
            stages[name] += line + "\n"
    return stages


# ----------------------------------------------------------------- the values file
def test_values_use_only_keys_of_the_chart_schema():
    unknown = []

    def walk(node: dict, path: str):
        allowed = SCHEMA_CHILDREN.get(path)
        if allowed is None:
            return  # a leaf or free-form in the schema
        for key, value in node.items():
            child = f"{path}.{key}" if path else key
            if key not in allowed.split():
                unknown.append(child)
            elif isinstance(value, dict):
                walk(value, child)

    walk(VALUES, "")
    assert not unknown, f"not keys of the jupyterhub chart 4.4.0 schema: {unknown}"
    missing = [key for key in REQUIRED if get(VALUES, key) in (None, "", {}, [])]
    assert not missing, f"values.yaml does not set {missing}"


def test_extra_files_follow_the_chart_schema():
    """Each singleuser.extraFiles entry: an absolute mountPath and exactly one of data,
    stringData, binaryData (and optionally mode), as the schema's oneOf demands."""
    for key, entry in VALUES["singleuser"]["extraFiles"].items():
        assert set(entry) <= {"mountPath", "data", "stringData", "binaryData", "mode"}, key
        assert entry["mountPath"].startswith("/"), key
        assert len({"data", "stringData", "binaryData"} & set(entry)) == 1, key
        if "data" in entry:
            assert entry["mountPath"].endswith((".json", ".yaml", ".yml", ".toml")), key


def test_memory_limits_hold_the_measured_peak_per_user():
    guarantee_floor, limit_floor = student_needs()
    memory = VALUES["singleuser"]["memory"]
    assert mib(memory["guarantee"]) >= guarantee_floor, (
        f"singleuser.memory.guarantee {memory['guarantee']} < the Lab server + the largest kernel "
        f"({guarantee_floor:.0f} MiB measured): raise it (SIZING.md)"
    )
    assert mib(memory["limit"]) >= limit_floor, (
        f"singleuser.memory.limit {memory['limit']} < the Lab server + the two largest kernels "
        f"({limit_floor:.0f} MiB measured): raise it (SIZING.md)"
    )
    assert mib(memory["guarantee"]) <= mib(memory["limit"])


def test_instructor_memory_holds_the_lab_and_the_grader():
    guarantee_floor, limit_floor = instructor_needs()
    memory = instructor()["memory"]
    assert mib(memory["guarantee"]) >= guarantee_floor, (memory, guarantee_floor)
    assert mib(memory["limit"]) >= limit_floor, (memory, limit_floor)
    assert mib(memory["guarantee"]) <= mib(memory["limit"])


def test_cpu_one_thread_per_kernel():
    for cpu in (VALUES["singleuser"]["cpu"], instructor()["cpu"]):
        assert 0 < float(cpu["guarantee"]) <= float(cpu["limit"])
        assert float(cpu["limit"]) >= 1, "a kernel's one thread must be able to use a whole core"
    assert float(instructor()["cpu"]["limit"]) >= grading_jobs(), "one core per grading job"


def test_thread_variables_are_one_in_the_values_and_the_image():
    env = VALUES["singleuser"]["extraEnv"]
    for var in THREAD_VARS:
        assert env.get(var) == "1", f"singleuser.extraEnv.{var} must be the string '1', not {env.get(var)!r}"
        assert re.search(rf"^ENV\b.*\b{var}=1\b", dockerfile_stages()["student"], flags=re.M), (
            f"the Dockerfile's student stage does not set {var}=1"
        )


def test_exchange_is_one_readwritemany_volume_at_nbgrader_exchange_root():
    storage = VALUES["singleuser"]["storage"]
    (volume,) = [v for v in storage["extraVolumes"] if "persistentVolumeClaim" in v]
    mounts = [m for m in storage["extraVolumeMounts"] if m["name"] == volume["name"]]
    assert len(mounts) == 1, f"the exchange volume {volume['name']} must be mounted exactly once"
    mount_path = mounts[0]["mountPath"]
    students = VALUES["singleuser"]["extraFiles"]["nbgrader-config"]
    assert students["mountPath"] == "/etc/jupyter/nbgrader_config.py"
    (student_root,) = re.findall(r'^c\.Exchange\.root\s*=\s*"([^"]+)"', students["stringData"], flags=re.M)
    course_config = (ROOT / "assignments" / "nbgrader_config.py").read_text()
    (course_root,) = re.findall(r'c\.Exchange\.root\s*=.*\bor\s+"([^"]+)"', course_config)
    assert mount_path == student_root == course_root, (
        f"exchange mounted at {mount_path}, students' nbgrader config {student_root}, "
        f"the course's nbgrader_config.py {course_root}"
    )
    # the same student-side exchange steps as assignments/setup_exchange.sh writes
    setup = (ROOT / "assignments" / "setup_exchange.sh").read_text()
    steps = re.findall(r'^c\.ExchangeFactory\.\w+ = "[^"]+"$', setup, flags=re.M)
    assert len(steps) == 2, steps
    for line in steps:
        assert line in students["stringData"].splitlines(), f"deploy/z2jh/values.yaml lacks {line}"
    claims = {
        doc["metadata"]["name"]: doc
        for doc in yaml.safe_load_all((Z2JH / "exchange-pvc.yaml").read_text())
        if doc["kind"] == "PersistentVolumeClaim"
    }
    claim = claims[volume["persistentVolumeClaim"]["claimName"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_the_welcome_notebook_is_where_the_default_url_points():
    su = VALUES["singleuser"]
    path = su["defaultUrl"].removeprefix("/lab/tree/")
    assert (ROOT / path).is_file(), f"defaultUrl {su['defaultUrl']} names no notebook of the repository"
    copy = " ".join(su["lifecycleHooks"]["postStart"]["exec"]["command"])
    assert f"/opt/nn-course/{path.split('/')[0]}" in copy and su["storage"]["homeMountPath"] in copy
    assert re.search(r"^COPY notebooks /opt/nn-course/notebooks$", DOCKERFILE.read_text(), flags=re.M)


def test_cull_stops_idle_servers_and_keeps_users():
    cull = VALUES["cull"]
    assert cull["enabled"] is True and cull["users"] is False
    assert 0 < cull["every"] <= cull["timeout"]


# ----------------------------------------------------------------------- the image
def test_image_installs_the_tested_versions():
    stages = dockerfile_stages()
    assert set(stages) == {"student", "instructor"}
    student = stages["student"]
    assert "COPY requirements/constraints.txt /src/requirements/constraints.txt" in student
    assert re.search(r'pip install --constraint /src/requirements/constraints.txt "/src\[classroom\]"\s', student), (
        "the course and the students' class-server side must be installed non-editable with the repository's "
        "constraints"
    )
    assert "COPY classroom /src/classroom" in student
    assert "--editable" not in student and " -e " not in student
    constraints = (ROOT / "requirements" / "constraints.txt").read_text()
    (torch_pin,) = re.findall(r"^torch==(\S+)$", constraints, flags=re.M)
    (torch_arg,) = re.findall(r"^ARG TORCH_VERSION=(\S+)$", student, flags=re.M)
    assert torch_arg == torch_pin, f"Dockerfile TORCH_VERSION {torch_arg} != constraints.txt's torch=={torch_pin}"
    assert re.search(r'--index-url "\$TORCH_INDEX_URL" "torch==\$\{TORCH_VERSION\}"', student)
    (index,) = re.findall(r"^ARG TORCH_INDEX_URL=(\S+)$", student, flags=re.M)
    assert index == "https://download.pytorch.org/whl/cpu"
    assert re.search(r"pip install --constraint /src/requirements/constraints.txt /src/grader\s", stages["instructor"])


def test_image_jupyterhub_matches_the_chart():
    header = VALUES_FILE.read_text().split("\n\n")[0]
    chart, hub = re.search(r"chart: jupyterhub (\S+) .*\(JupyterHub (\S+)\)", header).groups()
    assert chart == "4.4.0", "SCHEMA_CHILDREN was transcribed from chart 4.4.0: re-check it for another chart"
    (arg,) = re.findall(r"^ARG JUPYTERHUB_VERSION=(\S+)$", DOCKERFILE.read_text(), flags=re.M)
    assert arg == hub, f"jupyterhub-singleuser {arg} in the image, JupyterHub {hub} in the chart"


def test_image_runs_as_a_user_not_root():
    for name, text in dockerfile_stages().items():
        users = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
        assert users, f"stage {name} sets no USER"
        assert users[-1].split(":")[0] not in ("root", "0"), f"stage {name} ends as root"
    assert VALUES["singleuser"]["uid"] != 0


def test_image_context_leaves_out_the_hidden_tests():
    ignore = [line for line in (Z2JH / "Dockerfile.dockerignore").read_text().splitlines() if line.strip()]
    rules = [line for line in ignore if not line.startswith("#")]
    assert rules[0] == "*", "the ignore file must leave everything out first, then let in what the image copies"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    sources = re.findall(r"^COPY\s+(.+?)\s+\S+$", DOCKERFILE.read_text(), flags=re.M)
    copied = {src for line in sources for src in line.split()}
    assert copied <= allowed, f"COPY of paths the build context leaves out: {copied - allowed}"
    assert not any(path.startswith("assignments") for path in copied | allowed)
    assert "grader" not in " ".join(re.findall(r"^COPY.*$", dockerfile_stages()["student"], flags=re.M))


def test_roles_use_the_course_lab_settings():
    student = re.search(r"^ENV JUPYTER_CONFIG_PATH=/opt/nn-course/(\S+)$", DOCKERFILE.read_text(), flags=re.M)
    assert student and student[1] == "lab/student"
    assert re.search(r"^COPY lab /opt/nn-course/lab$", DOCKERFILE.read_text(), flags=re.M)
    page = json.loads((ROOT / "lab" / "student" / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"].get("@jupyter/nbgrader:formgrader") is True
    path = instructor()["extraEnv"]["JUPYTER_CONFIG_PATH"]
    assert path.startswith("/opt/nn-course/lab/")
    role = path.removeprefix("/opt/nn-course/")
    assert (ROOT / role).is_dir() and role == "lab/instructor"


# ---------------------------------------------------------------- the hub's Python
def hub_namespace(values: dict) -> dict:
    """hub.extraConfig run as the chart runs it: with ``c`` and z2jh's ``get_config`` in scope."""
    from traitlets.config import Config

    namespace = {"c": Config(), "get_config": lambda key, default=None: get(values, key, default)}
    for _, code in sorted(values["hub"]["extraConfig"].items()):
        exec(compile(code, str(VALUES_FILE), "exec"), namespace)
    return namespace


def fake_spawner(name: str, groups=()):
    return SimpleNamespace(
        user=SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups]),
        uid=1000,
        gid=None,
        image=f"{VALUES['singleuser']['image']['name']}:{VALUES['singleuser']['image']['tag']}",
        mem_limit=VALUES["singleuser"]["memory"]["limit"],
        environment=dict(VALUES["singleuser"]["extraEnv"]),
        default_url=VALUES["singleuser"]["defaultUrl"],
    )


def roster_lines() -> list[list[str]]:
    text = VALUES["singleuser"]["extraFiles"]["class-roster"]["stringData"]
    return [line.split(":") for line in text.splitlines() if line.strip()]


def test_every_user_runs_under_their_roster_uid():
    ns = hub_namespace(VALUES)
    hook = ns["c"].KubeSpawner.pre_spawn_hook
    names = []
    for name, _, uid, gid, *_ in roster_lines():
        spawner = fake_spawner(name)
        asyncio.run(hook(spawner))
        assert (spawner.uid, spawner.gid) == (int(uid), int(gid))
        names.append(name)
    assert len(set(names)) >= 2
    assert ns["c"].Authenticator.allowed_users == set(names)
    with pytest.raises(Exception, match="not in the class roster"):
        asyncio.run(hook(fake_spawner("stranger")))


def test_only_instructors_get_the_instructor_server():
    hook = hub_namespace(VALUES)["c"].KubeSpawner.pre_spawn_hook
    group = instructor()["group"]
    name = roster_lines()[0][0]
    teacher, student = fake_spawner(name, groups=[group]), fake_spawner(name, groups=["students"])
    asyncio.run(hook(teacher))
    asyncio.run(hook(student))
    image = instructor()["image"]
    assert teacher.image == f"{image['name']}:{image['tag']}" != student.image
    assert teacher.environment["JUPYTER_CONFIG_PATH"].endswith("lab/instructor")
    assert "JUPYTER_CONFIG_PATH" not in student.environment  # the student image's own (lab/student)
    assert mib(teacher.mem_limit) > mib(student.mem_limit)
    assert student.environment == VALUES["singleuser"]["extraEnv"], "a student's environment must stay as set"
    members = VALUES["hub"]["config"]["JupyterHub"]["load_groups"][group]["users"]
    assert members and set(members) <= {line[0] for line in roster_lines()}


@pytest.mark.parametrize(
    "roster, problem",
    [
        ("a:x:20001:20001::/home/jovyan:/bin/bash\nb:x:20001:20002::/home/jovyan:/bin/bash\n", "share a uid"),
        ("a:x:1000:100::/home/jovyan:/bin/bash\n", ">= 10000"),
        ("a:x:20001:20001::/home/jovyan:/bin/bash\na:x:20002:20002::/home/jovyan:/bin/bash\n", "listed twice"),
        ("a,20001\n", "not a passwd line"),
    ],
)
def test_a_broken_roster_stops_the_hub(roster, problem):
    values = json.loads(json.dumps(VALUES))
    values["singleuser"]["extraFiles"]["class-roster"]["stringData"] = roster
    with pytest.raises(ValueError, match=problem):
        hub_namespace(values)


def test_the_image_resolves_roster_names():
    """The roster's mount is where libnss-extrausers looks, and the image installs and enables it."""
    assert VALUES["singleuser"]["extraFiles"]["class-roster"]["mountPath"] == "/var/lib/extrausers/passwd"
    student = dockerfile_stages()["student"]
    assert "libnss-extrausers" in student and "extrausers/' /etc/nsswitch.conf" in student


# ---------------------------------------------------------------- the measurements
def test_every_notebook_has_a_measurement():
    on_disk = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    measured = set(MEASURED["kernels_mib"])
    assert on_disk <= measured, (
        f"no memory measured for {sorted(on_disk - measured)}: run benchmarks/measure_memory.py "
        "and check the limits in deploy/z2jh/values.yaml (SIZING.md)"
    )
    assert measured <= on_disk, f"measurements of notebooks that are gone: {sorted(measured - on_disk)}"


def test_measurements_were_taken_with_the_pinned_versions():
    constraints = dict(
        line.split(";")[0].strip().split("==")
        for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for package in ("torch", "jupyterlab", "nbgrader"):
        measured = MEASURED["versions"][package].split("+")[0]
        assert measured == constraints[package], f"measured with {package} {measured}, pinned {constraints[package]}"
    assert MEASURED["env"] == dict.fromkeys(THREAD_VARS, "1")
    assert set(MEASURED["parts"]) == {"kernels", "server", "grader"}


def test_sizing_quotes_the_measured_numbers():
    k = MEASURED["kernels_mib"]
    largest = max(k, key=k.get)
    grader = MEASURED["grader"]
    quoted = {
        "the largest kernel": f"{k[largest]:.1f}",
        "its notebook": largest,
        "the second largest kernel": f"{kernels()[1]:.1f}",
        "the median kernel": f"{statistics.median(k.values()):.1f}",
        "the Lab server": f"{MEASURED['server_mib']:.1f}",
        "a grading student (worker + student process)": f"{grader['worker_mib']:.1f}",
        "the grader's zygote": f"{grader['zygote_mib']:.1f}",
        "the grader's coordinator": f"{grader['coordinator_mib']:.1f}",
        "the student guarantee": f"**{VALUES['singleuser']['memory']['guarantee']}**",
        "the student limit": f"**{VALUES['singleuser']['memory']['limit']}**",
        "the instructor guarantee": f"**{instructor()['memory']['guarantee']}**",
        "the instructor limit": f"**{instructor()['memory']['limit']}**",
    }
    missing = {what: value for what, value in quoted.items() if value not in SIZING}
    assert not missing, f"deploy/SIZING.md does not quote {missing}: re-derive it from measured-memory.json"
    for notebook, value in k.items():
        row = rf"^\| {re.escape(notebook)} \| {value:.1f} \|"
        assert re.search(row, SIZING, flags=re.M), f"SIZING.md's kernel table has no row '{notebook} | {value:.1f}'"
