#!/usr/bin/env bash
# Create the course's nbgrader exchange and the students' nbgrader config (run once, as root,
# on the machine or hub where the class works):
#
#   sudo assignments/setup_exchange.sh                  # exchange + /etc/jupyter/nbgrader_config.py
#   sudo assignments/setup_exchange.sh --config /opt/nn-course/etc/jupyter/nbgrader_config.py
#                                     # the students' config inside the course environment instead
#   sudo NBGRADER_EXCHANGE=/srv/other assignments/setup_exchange.sh   # another exchange folder
#   assignments/setup_exchange.sh --config-only --config ~/.jupyter/nbgrader_config.py
#                                     # no root: one user's config only
#
# The course id and the exchange root come from assignments/nbgrader_config.py, the one place
# they are set. The exchange root gets mode 1777 (like /tmp): every user may create entries in
# it, and the sticky bit stops anyone from renaming or deleting an entry they do not own (the
# instructor's course folder, another student's submission). nbgrader creates the rest
# (course folder 0755, inbound 2733: students can add to it but not list it, outbound 0755).
# The students' config (course id + exchange root) lets them run fetch_assignment, submit and
# fetch_feedback without flags and silences "No nbgrader_config.py file found".
# Python: $PYTHON if set, else the repository's .venv, else python3.
set -euo pipefail

student_config=/etc/jupyter/nbgrader_config.py
config_only=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --config) student_config="$2"; shift 2 ;;
        --config-only) config_only=1; shift ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup_exchange.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x ../.venv/bin/python ]]; then PYTHON=../.venv/bin/python; else PYTHON=python3; fi
fi
# This folder (the instructor's course: solutions, hidden tests, later every submission and
# grade) is private before anything is written: mode 0700, or 2750 with $COURSE_STAFF_GROUP.
"$PYTHON" ../grader/privacy.py .
read -r course_id root < <("$PYTHON" - <<'PY'
from traitlets.config.loader import PyFileConfigLoader
c = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
print(c.CourseDirectory.course_id, c.Exchange.root)
PY
)

if [[ $config_only == 0 ]]; then
    if [[ $(id -u) != 0 ]]; then
        echo "setup_exchange.sh: creating $root needs root (sudo); use --config-only --config FILE for a config only" >&2
        exit 2
    fi
    mkdir -p "$root"
    chown root:root "$root"
    chmod 1777 "$root"
    echo "exchange: $root (mode $(stat -c %a "$root"))"
fi

mkdir -p "$(dirname "$student_config")"
cat > "$student_config" <<CFG
# nbgrader settings for the students of $course_id (written by assignments/setup_exchange.sh)
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "$course_id"
c.Exchange.root = "$root"
# submissions in the student's own name, readable by them and the instructor only; feedback for
# the student's own submissions only (classroom/exchange.py)
c.ExchangeFactory.submit = "classroom.exchange.PrivateSubmit"
c.ExchangeFactory.fetch_feedback = "classroom.exchange.OwnFetchFeedback"
CFG
chmod 0644 "$student_config"
echo "students' nbgrader config: $student_config (course $course_id, exchange $root)"
