#!/usr/bin/env bash
# The Debian packages the course's tests need, checked and installed in one place
# (make system-deps, make test, .ci/run):
#
#   requirements/system-deps.sh check   [TIER]   exit 1 naming what is missing and the command
#   requirements/system-deps.sh install [TIER]   install what is missing: as root with apt-get, or
#                                                through passwordless sudo; else as `check`
#
# TIER test (make test): chromium (the browser tests and the website's), bubblewrap (the batch
#      grader's sandbox), npm (the website's MathJax, RequireJS and widget manager; the hub's proxy).
# TIER ci (.ci/run): test's, plus python3-venv (make shared-env builds the class's environment
#      from the system's Python) and qemu-system-x86, debootstrap, cpio (make test-cgroup2's VM).
# Each check takes well under a second: nothing slow runs before it.
set -euo pipefail

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
mode=$1
tier=${2:-test}
[[ $mode == check || $mode == install ]] || usage

# package -> how to tell it is there
declare -A present=(
    [chromium]='[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || command -v chromium'
    [bubblewrap]='command -v bwrap'
    [npm]='command -v npm'
    [python3-venv]='/usr/bin/python3 -c "import ensurepip, venv"'
    [qemu-system-x86]='command -v qemu-system-x86_64'
    [debootstrap]='command -v debootstrap || [[ -x /usr/sbin/debootstrap ]]'
    [cpio]='command -v cpio'
)
case $tier in
    test) wanted=(chromium bubblewrap npm) ;;
    ci) wanted=(chromium bubblewrap npm python3-venv qemu-system-x86 debootstrap cpio) ;;
    *) echo "system-deps.sh: unknown tier '$tier' (test or ci)" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
    if ! eval "${present[$package]}" >/dev/null 2>&1; then
        missing+=("$package")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command="apt-get update && apt-get install -y ${missing[*]}"
if [[ $mode == install ]]; then
    as_root=()
    if [[ $(id -u) != 0 ]]; then
        as_root=(sudo -n)
        command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || as_root=(none)
    fi
    if [[ ${as_root[*]-} != none ]]; then
        echo "system-deps: installing Debian packages: ${missing[*]}"
        "${as_root[@]}" apt-get update -qq
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        exit 0
    fi
fi
{
    echo "system-deps: missing Debian packages: ${missing[*]}"
    echo "  the tests need them (requirements/system-deps.sh says what for); install them with"
    echo "    sudo make system-deps"
    echo "  or, as root: $command"
} >&2
exit 1
