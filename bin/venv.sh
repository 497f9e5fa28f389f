# Sourced by bin/run and bin/test: the project's virtualenv, with pip run only when it can matter.
#
#   venv_install requirements.txt
#
# Creates .venv (with $PYTHON, default python3) if there is none, and installs the requirements
# file into it unless the same requirements (that file and requirements.txt, by their SHA-256) were
# installed last time: the stamp .venv/.installed-<file>.sha256 says which. A new .venv has no
# stamp, so it always gets an install.
venv_install() {
  local file=$1 stamp=".venv/.installed-$1.sha256" hash
  [ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
  hash=$(cat "$file" requirements.txt | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    return 0
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$file"
  echo "$hash" > "$stamp"
}
