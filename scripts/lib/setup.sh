# shellcheck shell=bash
# Shared by demo.sh and test.sh: install missing Debian packages, configure and build.

# shellcheck disable=SC2034  # used by the scripts that source this file
readonly DUPIPE_PACKAGES=(
  g++ cmake make pkg-config
  libcurl4-openssl-dev libssl-dev libboost-dev libgtest-dev libgmock-dev libexpected-dev
  nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libncurses-dev libxxhash-dev libgumbo-dev
)

missing_packages() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$' ||
      printf '%s\n' "$package"
  done
}

# ensure_packages PACKAGE...: installs what is missing with apt-get (as root).
ensure_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# build_dupipe SOURCE_DIR BUILD_DIR [CMAKE_ARGS...]: configure (Release unless told) and build.
build_dupipe() {
  local source_dir=$1 build_dir=$2
  shift 2
  cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release "$@" >&2 &&
    cmake --build "$build_dir" -j "$(nproc)" >&2
}
