#!/usr/bin/env bash
# Installs what the test command (scripts/test.sh) needs on a Debian/Ubuntu machine, skipping
# whatever is already there, so running it again does nothing:
#   - Python packages (pinned): the conformance runner, the end-to-end suite (boto3, the AWS CLI,
#     pytest), the AWS feature tests (moto's server) and the console's browser tests (selenium);
#   - Debian packages: redis-server (tests/cluster.rs), chromium + chromium-driver
#     (tests/e2e/test_console.py), python3 and python3-pip when missing;
#   - the rustfmt and clippy components, through rustup when it is there.
# Debian packages are installed as root, or through `sudo -n` (no password prompt); otherwise
# it names what is missing and fails. Python packages go to the system Python as root, else to
# the user's site (`aws` then lands in `python3 -m site --user-base`/bin, added to PATH).
#
#   bash scripts/setup.sh        # alone
#   source scripts/setup.sh      # what scripts/test.sh does (keeps the PATH it extends)
#
# Needs Rust (cargo). To add a Debian package another suite needs, add
# "COMMAND:PACKAGE" to APT_NEEDS (e.g. "nginx:nginx").

_setup_main() {
  local -a PY_PACKAGES=(boto3==1.43.11 awscli==1.45.11 pytest==8.3.5 "moto[server]==5.2.1" selenium==4.51.0)
  local -a APT_NEEDS=(redis-server:redis-server chromium:chromium chromedriver:chromium-driver nginx:nginx)
  local -a sudo=() missing_apt=() missing_py=()
  local need cmd pkg

  command -v cargo >/dev/null 2>&1 || { echo "setup: cargo is needed (https://rustup.rs)" >&2; return 1; }

  command -v python3 >/dev/null 2>&1 || missing_apt+=(python3)
  python3 -m pip --version >/dev/null 2>&1 || missing_apt+=(python3-pip)
  for need in "${APT_NEEDS[@]}"; do
    cmd="${need%%:*}" pkg="${need#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing_apt+=("$pkg")
  done

  if [ "${#missing_apt[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
      else
        echo "setup: missing ${missing_apt[*]}; install them as root: apt-get install -y ${missing_apt[*]}" >&2
        return 1
      fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
      echo "setup: missing ${missing_apt[*]} and no apt-get: install them with your package manager" >&2
      return 1
    fi
    echo "setup: apt-get install ${missing_apt[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing_apt[@]}" >/dev/null || { echo "setup: apt-get install failed" >&2; return 1; }
  fi

  # Each pinned package present at its version (and the extra's requirements present)?
  read -r -a missing_py < <(python3 - "${PY_PACKAGES[@]}" <<'PY'
import importlib.metadata as md, re, sys
missing = []
for spec in sys.argv[1:]:
    name, _, extra, version = re.fullmatch(r"([\w.-]+)(\[(\w+)\])?==(.+)", spec).groups()
    try:
        ok = md.version(name) == version
        for req in (md.requires(name) or []) if ok and extra else []:
            if re.search(r"extra\s*==\s*['\"]%s['\"]" % extra, req):
                md.version(re.match(r"[\w.-]+", req).group(0))
    except md.PackageNotFoundError:
        ok = False
    if not ok:
        missing.append(spec)
print(" ".join(missing))
PY
  )
  if [ "${#missing_py[@]}" -gt 0 ]; then
    echo "setup: pip install ${missing_py[*]}"
    local -a pip=(python3 -m pip install --quiet --disable-pip-version-check)
    # Debian 12+ marks the system Python as externally managed (PEP 668).
    "${pip[@]}" "${missing_py[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages "${missing_py[@]}" ||
      { echo "setup: pip install failed" >&2; return 1; }
  fi
  # `aws` may land in the user's script folder.
  case ":$PATH:" in
    *":$(python3 -m site --user-base)/bin:"*) ;;
    *) PATH="$PATH:$(python3 -m site --user-base)/bin" ;;
  esac
  export PATH
  command -v aws >/dev/null 2>&1 || { echo "setup: the AWS CLI is not on PATH after installing awscli" >&2; return 1; }

  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1; then
      echo "setup: rustup component add rustfmt clippy"
      rustup component add rustfmt clippy >/dev/null || return 1
    else
      echo "setup: cargo fmt and cargo clippy are needed (rustup component add rustfmt clippy)" >&2
      return 1
    fi
  fi
  return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  _setup_main
else
  _setup_main || return 1
fi
