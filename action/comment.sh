#!/usr/bin/env bash
# Posts the plan on a pull request (GitHub) or a merge request (GitLab):
# comments/plan-1.md, plan-2.md, ... each one comment, marked so that the
# next plan of the same files updates them in place; parts the new plan no
# longer has are deleted. The GitHub Action (action.yml) runs this file;
# the GitLab template (templates/permsync.yml) runs the same lines. Uses
# the REST API with curl and jq.
#
# PERMSYNC_COMMENT_DIR  the directory of plan-N.md
# PERMSYNC_COMMENT_KEY  tells this plan's comments from another permsync's
#                       in the same repository (default: permsync)
# GitHub: GH_TOKEN (may write pull-request comments), PERMSYNC_PR (the pull
# request's number), GITHUB_REPOSITORY and GITHUB_API_URL.
# GitLab (CI_API_V4_URL is set): GITLAB_API_TOKEN (api scope),
# CI_PROJECT_ID and CI_MERGE_REQUEST_IID.
set -euo pipefail

dir=${PERMSYNC_COMMENT_DIR:?PERMSYNC_COMMENT_DIR: the directory of the comments}
key=$(printf '%s' "${PERMSYNC_COMMENT_KEY:-permsync}" | tr -c 'A-Za-z0-9._/-' '_')
marker="<!-- permsync-plan key=$key part="

if [ -n "${CI_API_V4_URL:-}" ]; then
  notes="$CI_API_V4_URL/projects/${CI_PROJECT_ID:?}/merge_requests/${CI_MERGE_REQUEST_IID:?CI_MERGE_REQUEST_IID: not a merge request pipeline}/notes"
  auth="PRIVATE-TOKEN: ${GITLAB_API_TOKEN:?GITLAB_API_TOKEN: a token with the api scope}"
  list="$notes?sort=asc&order_by=created_at&per_page=100&page="
  create="$notes"
  update=(PUT "$notes")
  remove="$notes"
else
  api="${GITHUB_API_URL:-https://api.github.com}/repos/${GITHUB_REPOSITORY:?GITHUB_REPOSITORY: owner/name}"
  pr=${PERMSYNC_PR:?PERMSYNC_PR: the pull request number}
  auth="Authorization: Bearer ${GH_TOKEN:?GH_TOKEN: a token that may comment}"
  list="$api/issues/$pr/comments?per_page=100&page="
  create="$api/issues/$pr/comments"
  update=(PATCH "$api/issues/comments")
  remove="$api/issues/comments"
fi

call() {
  local method=$1 url=$2
  shift 2
  curl --fail --silent --show-error --location --retry 2 --request "$method" \
    --header "$auth" \
    --header "Accept: application/json" \
    --header "Content-Type: application/json" \
    "$@" "$url"
}

# The JSON of part $1: the marker, then the file.
body() {
  jq -n --rawfile b "$dir/plan-$1.md" --arg m "$marker$1 -->" '{body: ($m + "\n" + $b)}'
}

# The parts posted before, as "part id" lines (oldest first).
existing=""
page=1
while :; do
  batch=$(call GET "$list$page")
  existing+=$(jq -r --arg m "$marker" '.[] | select(.body | startswith($m))
    | "\(.body | ltrimstr($m) | capture("^(?<n>[0-9]+) -->").n) \(.id)"' <<< "$batch")$'\n'
  [ "$(jq length <<< "$batch")" -lt 100 ] && break
  page=$((page + 1))
done

n=0
while [ -f "$dir/plan-$((n + 1)).md" ]; do
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "permsync comment: no $dir/plan-1.md to post" >&2; exit 1; }

for i in $(seq 1 "$n"); do
  ids=$(awk -v p="$i" '$1 == p { print $2 }' <<< "$existing")
  first=$(head -n 1 <<< "$ids")
  if [ -n "$first" ]; then
    body "$i" | call "${update[0]}" "${update[1]}/$first" --data-binary @- > /dev/null
    echo "permsync comment: updated part $i of $n (comment $first)"
  else
    body "$i" | call POST "$create" --data-binary @- > /dev/null
    echo "permsync comment: posted part $i of $n"
  fi
  # A part posted twice (two plans at once): keep the first.
  while read -r id; do
    call DELETE "$remove/$id" > /dev/null
  done < <(tail -n +2 <<< "$ids")
done
# Parts of an earlier, longer plan.
while read -r id; do
  call DELETE "$remove/$id" > /dev/null
  echo "permsync comment: deleted comment $id, a part the new plan no longer has"
done < <(awk -v n="$n" '$1 != "" && $1 + 0 > n { print $2 }' <<< "$existing")
