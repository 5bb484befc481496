#!/usr/bin/env bash
# Keeps permsync's state on a branch of its own of the repository, for the
# GitHub Action (action.yml) and the GitLab template (templates/permsync.yml
# runs the same lines): runners are thrown away after each job, a branch is
# not (docs/deploy.md).
#
#   state.sh fetch plan|apply   check the branch out where the state file is
#   state.sh save               commit the state file and push it
#
# PERMSYNC_STATE is the state file (.permsync-state/state.json): its
# directory is the branch's checkout. PERMSYNC_STATE_BRANCH is the branch;
# empty, the state stays where PERMSYNC_STATE says and nothing is fetched
# or pushed. PERMSYNC_PUSH_URL is where to push (default: origin).
set -euo pipefail

state=${PERMSYNC_STATE:?PERMSYNC_STATE: the state file}
branch=${PERMSYNC_STATE_BRANCH:-}
dir=$(dirname "$state")
[ -n "$branch" ] || exit 0
[ "$dir" != . ] || { echo "permsync state: the state file $state must be in a directory of its own to keep it on the branch $branch" >&2; exit 1; }

case "${1:-}" in
  fetch)
    if ! git fetch --quiet --depth=1 origin "$branch"; then
      echo "permsync state: the branch $branch does not exist yet; create it once with" >&2
      echo "  git switch --orphan $branch && git commit --allow-empty -m \"permsync state\" && git push origin $branch" >&2
      exit 1
    fi
    if [ "${2:-plan}" = apply ]; then
      git worktree add --quiet -B "$branch" "$dir" FETCH_HEAD
    else
      git worktree add --quiet --detach "$dir" FETCH_HEAD
    fi
    ;;
  save)
    cd "$dir"
    file=$(basename "$state")
    [ -f "$file" ] || exit 0
    git add "$file"
    git diff --cached --quiet && exit 0
    git -c user.name=permsync -c user.email="${PERMSYNC_COMMIT_EMAIL:-permsync@users.noreply.github.com}" \
      commit --quiet -m "permsync state after ${GITHUB_SHA:-$(git rev-parse HEAD)}"
    git push --quiet "${PERMSYNC_PUSH_URL:-origin}" "HEAD:$branch"
    ;;
  *)
    echo "usage: state.sh fetch plan|apply | save" >&2
    exit 2
    ;;
esac
