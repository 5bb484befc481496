#!/usr/bin/env bash
# Installs permsync for a CI job: the GitHub Action (action.yml) runs this
# file; the GitLab template (templates/permsync.yml) holds the same steps.
#
#   PERMSYNC_VERSION=v0.1.0 PERMSYNC_INSTALL_DIR="$HOME/.local/bin" bash action/install.sh
#
# A release (vX.Y.Z, or a pre-release vX.Y.Z-rc.1) is downloaded for this
# operating system and architecture from the release's assets, and is
# installed only when its SHA-256 is the one the release's checksums file
# gives and the binary reports that version. Any other version (a commit,
# a branch) is built from source with go install, which needs Go; the
# version "source" builds the checkout in PERMSYNC_SOURCE_DIR.
set -euo pipefail

version=${PERMSYNC_VERSION:?PERMSYNC_VERSION: the version to install (vX.Y.Z, or a commit)}
dir=${PERMSYNC_INSTALL_DIR:?PERMSYNC_INSTALL_DIR: the directory to install permsync into}
base=${PERMSYNC_RELEASE_URL:-https://github.com/permsync/permsync/releases/download}

fail() {
  echo "permsync install: $*" >&2
  exit 1
}

mkdir -p "$dir"
if [ "$version" = source ]; then
  src=${PERMSYNC_SOURCE_DIR:?PERMSYNC_SOURCE_DIR: the checkout to build}
  command -v go >/dev/null 2>&1 || fail "building permsync from $src needs Go"
  echo "permsync install: building ./cmd/permsync of $src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$dir/permsync" ./cmd/permsync)
  "$dir/permsync" version
  exit 0
fi
if [[ ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  [[ $version =~ ^[0-9A-Za-z][0-9A-Za-z._/-]*$ ]] || fail "version \"$version\" is neither a release (vX.Y.Z) nor a git revision"
  command -v go >/dev/null 2>&1 || fail "version $version is not a release: building it from source needs Go"
  echo "permsync install: building github.com/permsync/permsync/cmd/permsync@$version from source"
  GOBIN="$dir" CGO_ENABLED=0 go install "github.com/permsync/permsync/cmd/permsync@$version"
  "$dir/permsync" version
  exit 0
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) os=windows ;;
  *) fail "no release is built for the operating system $(uname -s); give a commit as the version to build from source" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "no release is built for the architecture $(uname -m); give a commit as the version to build from source" ;;
esac
ext=tar.gz
exe=permsync
if [ "$os" = windows ]; then
  ext=zip
  exe=permsync.exe
fi
# The names of .goreleaser.yaml's archives and checksums.
number=${version#v}
archive="permsync_${number}_${os}_${arch}.${ext}"
sums="permsync_${number}_checksums.txt"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() {
  curl --fail --silent --show-error --location --retry 3 --output "$tmp/$1" "$base/$version/$1" ||
    fail "downloading $base/$version/$1 failed"
}
fetch "$sums"
fetch "$archive"

want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/$sums")
[ -n "$want" ] || fail "$sums lists no checksum for $archive"
if command -v sha256sum >/dev/null 2>&1; then
  got=$(sha256sum "$tmp/$archive" | awk '{ print $1 }')
else
  got=$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')
fi
[ "$got" = "$want" ] || fail "$archive has the SHA-256 $got, but $sums says $want: not installed"

mkdir "$tmp/x"
if [ "$ext" = zip ]; then
  unzip -q "$tmp/$archive" "$exe" -d "$tmp/x"
else
  tar -xzf "$tmp/$archive" -C "$tmp/x" "$exe"
fi
reported=$("$tmp/x/$exe" version --json | sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p')
[ "$reported" = "$version" ] || fail "$archive holds permsync ${reported:-of no version}, not $version: not installed"
cp "$tmp/x/$exe" "$dir/$exe"
chmod 0755 "$dir/$exe"
"$dir/$exe" version
