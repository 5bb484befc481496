#!/usr/bin/env bash
# The apply on merge, for the GitHub Action (action.yml).
#
# PERMSYNC_REVIEWED=true (a push to the default branch): find the pull
# request the pushed commit came from, the last successful run of this
# workflow on its head, and the plan file that run kept as the artifact
# PERMSYNC_ARTIFACT, then `permsync apply PLANFILE`: exactly what was
# reviewed, refused as stale if the server or the files changed since. A
# plan without changes kept no artifact: nothing to apply.
# PERMSYNC_REVIEWED=false (run by hand): plan and apply afresh,
# `permsync apply -f ... --auto-approve`.
#
# PERMSYNC_FILES, PERMSYNC_STATE and PERMSYNC_ARGS as for plan.sh; GH_TOKEN
# may read the repository's pull requests and actions.
set -euo pipefail

fail() {
  echo "::error::permsync apply: $*"
  exit 1
}
output() {
  echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"
}

files=()
for p in $PERMSYNC_FILES; do
  files+=(-f "$p")
done
state=()
[ -n "${PERMSYNC_STATE:-}" ] && state=(--state "$PERMSYNC_STATE")
read -r -a extra <<< "${PERMSYNC_ARGS:-}"

if [ "${PERMSYNC_REVIEWED:-true}" != true ]; then
  [ ${#files[@]} -gt 0 ] || fail "no files given"
  output applied true
  permsync apply "${files[@]}" ${state[@]+"${state[@]}"} --auto-approve ${extra[@]+"${extra[@]}"}
  exit
fi

api="${GITHUB_API_URL:-https://api.github.com}/repos/${GITHUB_REPOSITORY:?GITHUB_REPOSITORY: owner/name}"
token=${GH_TOKEN:?GH_TOKEN: a token that may read pull requests and actions}
sha=${GITHUB_SHA:?GITHUB_SHA: the commit to apply}
artifact=${PERMSYNC_ARTIFACT:-permsync-plan}
# .github/workflows/permsync.yml: the workflow whose plan is looked for.
workflow=${GITHUB_WORKFLOW_REF:?GITHUB_WORKFLOW_REF: the running workflow}
workflow=${workflow%%@*}
workflow=${workflow##*/}

call() {
  local url=$1
  shift
  curl --fail --silent --show-error --location --retry 2 \
    --header "Authorization: Bearer $token" \
    --header "Accept: application/vnd.github+json" \
    --header "X-GitHub-Api-Version: 2022-11-28" \
    "$@" "$url"
}

pulls=$(call "$api/commits/$sha/pulls")
read -r pr head < <(jq -r '[.[] | select(.merged_at != null)][0] // empty | "\(.number) \(.head.sha)"' <<< "$pulls") || true
[ -n "${head:-}" ] || fail "$sha did not come from a merged pull request: nothing reviewed to apply (run the workflow by hand to plan and apply afresh)"

runs=$(call "$api/actions/workflows/$workflow/runs?head_sha=$head&event=pull_request&status=success&per_page=1")
run=$(jq -r '.workflow_runs[0].id // empty' <<< "$runs")
[ -n "$run" ] || fail "no successful run of $workflow planned the head $head of pull request #$pr: nothing reviewed to apply"

artifacts=$(call "$api/actions/runs/$run/artifacts?name=$artifact&per_page=100")
read -r id expired < <(jq -r --arg n "$artifact" '[.artifacts[] | select(.name == $n)][0] // empty | "\(.id) \(.expired)"' <<< "$artifacts") || true
if [ -z "${id:-}" ]; then
  echo "The plan reviewed on pull request #$pr had no changes: nothing to apply."
  output applied false
  exit 0
fi
[ "$expired" != true ] || fail "the plan reviewed on pull request #$pr (run $run) has expired: run the workflow by hand to plan and apply afresh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
call "$api/actions/artifacts/$id/zip" --output "$tmp/plan.zip"
unzip -q "$tmp/plan.zip" -d "$tmp/plan"
[ -f "$tmp/plan/release.plan" ] || fail "the artifact $artifact of run $run holds no release.plan"
echo "Applying the plan reviewed on pull request #$pr (run $run)."
output applied true
permsync apply ${extra[@]+"${extra[@]}"} "$tmp/plan/release.plan"
