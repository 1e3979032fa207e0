#!/usr/bin/env bash
# The instructor's batch grading, with nbgrader's own CLI, in this course root:
#   1. (with --collect) collect the submissions from the nbgrader exchange; a student's
#      latest submission replaces an older one (--update: the last submission counts),
#   2. autograde every submission in submitted/ (already graded ones are skipped
#      unless --force or the submission is newer),
#   3. write HTML feedback to feedback/<student>/<assignment>/ (hidden tests never shown:
#      see nbgrader_config.py) and check every page for hidden-test lines,
#   4. export every student's scores to grades.csv.
#
# Usage: assignments/grade.sh [--collect] [--force] [ASSIGNMENT ...]
#        (no ASSIGNMENT: every assignment in source/)
# Python: $PYTHON if set, else the repository's .venv, else python3.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

collect=0
force=()
assignments=()
for arg in "$@"; do
    case "$arg" in
        --collect) collect=1 ;;
        --force) force=(--force) ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "grade.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
        *) assignments+=("$arg") ;;
    esac
done

cd "$(dirname "$0")"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x ../.venv/bin/python ]]; then PYTHON=../.venv/bin/python; else PYTHON=python3; fi
fi
nbgrader() { "$PYTHON" -m nbgrader "$@"; }

# This folder holds the solutions, the hidden tests, every submission and every grade: private
# before anything is written (mode 0700, or 2750 with $COURSE_STAFF_GROUP; grader/privacy.py).
"$PYTHON" -m grader.privacy .

if [[ ${#assignments[@]} -eq 0 ]]; then
    for dir in source/*/; do assignments+=("$(basename "$dir")"); done
fi

for a in "${assignments[@]}"; do
    if [[ ! -d "source/$a" ]]; then
        echo "grade.sh: there is no assignment source/$a" >&2
        exit 2
    fi
    if [[ $collect == 1 ]]; then
        nbgrader collect --update "$a"
    fi
    if compgen -G "submitted/*/$a" > /dev/null; then
        nbgrader autograde "$a" "${force[@]}"
        nbgrader generate_feedback "$a" "${force[@]}"
        # no feedback page may show a hidden test (whatever produced it): fail before release
        "$PYTHON" -m grader.feedback . "$a"
    else
        echo "grade.sh: no submissions of $a in submitted/ yet"
    fi
done

nbgrader export --to grades.csv  # written 0600 (grader.export.PrivateCsvExportPlugin)
# the gradebook holds every student's scores: the instructor's only (nbgrader creates it 0644)
chmod 600 gradebook.db
echo "grade.sh: scores in $(pwd)/grades.csv, feedback in $(pwd)/feedback/"
