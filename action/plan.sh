#!/usr/bin/env bash
# The plan of a pull request, for the GitHub Action (action.yml): validate
# the files, then `permsync plan` to Markdown comment parts and a plan file.
# The GitLab template (templates/permsync.yml) runs the same lines. Never
# fails by itself: the exit code of the plan (0 no changes, 2 changes, 1 an
# error or a plan apply would refuse) is written to $PERMSYNC_OUT/exitcode
# and to the step's output exitcode, so that the comment is posted before
# the job fails.
#
# PERMSYNC_FILES   paths of the permission files, separated by spaces or lines
# PERMSYNC_STATE   the state file ("" for permsync's default)
# PERMSYNC_ARGS    more permsync flags, separated by spaces (no quoting)
# PERMSYNC_ANNOTATIONS  true: also pass --annotations github, when the
#                  installed permsync has that flag
# PERMSYNC_OUT     the directory of comments/, release.plan and exitcode
# PERMSYNC_RUN_URL the job's page, linked from the comment of a failed plan
# (No errexit, also where these lines run inside a shell that has it: the
# plan's exit code is read, not fatal.)
set +e -o pipefail

out=${PERMSYNC_OUT:?PERMSYNC_OUT: the output directory}
comments="$out/comments"
planfile="$out/release.plan"
mkdir -p "$comments"
rm -f "$comments"/*.md "$planfile" "$out/exitcode"

output() {
  echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"
  if [ "$1" = exitcode ]; then echo "$2" > "$out/exitcode"; fi
}
# Text of the files, shown in the log: workflow commands (::) are broken.
show() {
  sed 's/::/:\xe2\x80\x8b:/g' "$1" >&2
}
run_url=${PERMSYNC_RUN_URL:-"${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"}

files=()
for p in $PERMSYNC_FILES; do
  files+=(-f "$p")
done
if [ ${#files[@]} -eq 0 ]; then
  echo "permsync plan: no files given" >&2
  output exitcode 1
  exit 0
fi
state=()
[ -n "${PERMSYNC_STATE:-}" ] && state=(--state "$PERMSYNC_STATE")
read -r -a extra <<< "${PERMSYNC_ARGS:-}"
case "${PERMSYNC_ANNOTATIONS:-false}" in
  true)
    # --annotations is detected, not assumed: older releases lack it.
    # Read the whole help first: grep -q stops reading at the first match,
    # and with pipefail the SIGPIPE of the help left unread would fail the check.
    plan_help=$(permsync plan -h 2>&1)
    if grep -q -e '^ *-annotations' <<< "$plan_help"; then
      extra+=(--annotations github)
    else
      echo "::notice::--annotations is not a flag of this release of permsync: the plan is not annotated on the files"
    fi
    ;;
  false | "") ;;
  *)
    echo "permsync plan: annotations must be true or false, not \"$PERMSYNC_ANNOTATIONS\"" >&2
    output exitcode 1
    exit 0
    ;;
esac

if ! permsync validate "${files[@]}" > /dev/null 2> "$out/validate.txt"; then
  show "$out/validate.txt"
  {
    echo "### permsync plan"
    echo
    echo "**The files do not validate**: nothing was planned."
    echo
    echo '```'
    cat "$out/validate.txt"
    echo '```'
  } > "$comments/plan-1.md"
  output exitcode 1
  output has-changes false
  exit 0
fi

permsync plan "${files[@]}" ${state[@]+"${state[@]}"} -o markdown --markdown-dir "$comments" --out "$planfile" --detailed-exitcode ${extra[@]+"${extra[@]}"} > "$out/plan.md"
code=$?
case $code in
  0) rm -f "$planfile" ;;
  2) ;;
  *)
    code=1
    rm -f "$planfile"
    if ! ls "$comments"/plan-*.md > /dev/null 2>&1; then
      printf '### permsync plan\n\n**The plan failed**: see the log of [the run](%s).\n' "$run_url" > "$comments/plan-1.md"
    fi
    ;;
esac
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$comments/plan-1.md" ]; then
  cat "$comments/plan-1.md" >> "$GITHUB_STEP_SUMMARY"
fi
output exitcode "$code"
output has-changes "$([ "$code" -eq 2 ] && echo true || echo false)"
echo "permsync plan: exit code $code (0 no changes, 2 changes, 1 error or refused)"
exit 0
