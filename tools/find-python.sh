#!/bin/sh
# Print the path of a Python the course's stack installs on, or say on stderr why there is none.
#
#   sh tools/find-python.sh MIN MAX [PREFERRED] [--install]
#
# MIN and MAX are minor versions (3.11 3.13). PREFERRED (default python3) is used when its
# version is in range; otherwise the newest in range of: python3.N on PATH, pyenv's installs
# ($PYENV_ROOT/versions), uv's (`uv python find`). With --install, when none is found and uv
# is on PATH, `uv python install MAX` fetches one. POSIX sh, so it runs before any Python does.
set -u

min=${1:?usage: find-python.sh MIN MAX [PREFERRED] [--install]}
max=${2:?usage: find-python.sh MIN MAX [PREFERRED] [--install]}
preferred=${3:-python3}
install=${4:-}
[ "$preferred" = --install ] && { install=--install; preferred=python3; }
lo=${min#3.}
hi=${max#3.}

version_of() {  # X.Y of the interpreter $1, empty if it does not run
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

in_range() {  # is X.Y between MIN and MAX?
  case $1 in 3.[0-9]*) ;; *) return 1 ;; esac
  minor=${1#3.}
  [ "$minor" -ge "$lo" ] 2>/dev/null && [ "$minor" -le "$hi" ]
}

found() {  # print $1's path and stop
  command -v "$1" 2>/dev/null || printf '%s\n' "$1"
  exit 0
}

# 1. The preferred interpreter (python3, or PYTHON=... given to make), when it fits.
preferred_version=$(version_of "$preferred")
if [ -n "$preferred_version" ] && in_range "$preferred_version"; then
  found "$preferred"
fi

# 2. The newest python3.N on PATH, then pyenv's, then uv's.
pyenv_root=${PYENV_ROOT:-${HOME:-/nonexistent}/.pyenv}
minor=$hi
while [ "$minor" -ge "$lo" ]; do
  candidate=python3.$minor
  [ "$(version_of "$candidate")" = "3.$minor" ] && found "$candidate"
  best=; best_patch=-1  # pyenv's newest patch release 3.N.P that runs
  for candidate in "$pyenv_root"/versions/3."$minor".*/bin/python3."$minor"; do
    patch=${candidate#"$pyenv_root"/versions/3."$minor".}
    patch=${patch%%/*}
    case $patch in ''|*[!0-9]*) continue ;; esac
    if [ "$patch" -gt "$best_patch" ] && [ "$(version_of "$candidate")" = "3.$minor" ]; then
      best=$candidate; best_patch=$patch
    fi
  done
  [ -n "$best" ] && found "$best"
  if command -v uv >/dev/null 2>&1; then
    candidate=$(uv python find "3.$minor" 2>/dev/null)
    [ -n "$candidate" ] && [ "$(version_of "$candidate")" = "3.$minor" ] && found "$candidate"
  fi
  minor=$((minor - 1))
done

# 3. On request, let uv fetch one.
if [ "$install" = --install ] && command -v uv >/dev/null 2>&1; then
  echo "No Python $max here: installing it with \`uv python install $max\` ..." >&2
  if uv python install "$max" >&2; then
    candidate=$(uv python find "$max" 2>/dev/null)
    [ -n "$candidate" ] && [ "$(version_of "$candidate")" = "$max" ] && found "$candidate"
  fi
fi

# 4. None: one message with what was found and the ways out.
if [ -n "$preferred_version" ]; then
  have="$preferred is Python $preferred_version ($(command -v "$preferred" 2>/dev/null || echo "$preferred"))"
else
  have="$preferred was not found or does not run"
fi
if [ "$min" = "$max" ]; then range="Python $max"; else range="Python $min to $max"; fi
cat >&2 <<EOF
No supported Python found: $have, and no $range on PATH, in pyenv or in uv.
The course's packages (TensorFlow and the versions pinned with it) install on $range only.
Ways out (then run the same make command again):
  - your system's package manager, e.g. \`sudo apt install python$max python$max-venv\` or \`brew install python@$max\`;
  - pyenv: \`pyenv install $max\`;  or uv: \`uv python install $max\`;
  - or name one: \`make <target> ${PYTHON_VAR:-PYTHON}=/path/to/python$max\`;
  - or nothing to install: open the notebooks on Colab (each notebook's "Open in Colab" badge).
EOF
exit 1
