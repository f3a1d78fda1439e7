#!/usr/bin/env bash
# Exactly what CI runs once the system packages (etcd) are installed; `npm run verify` runs it locally.
# .ci/run calls this after installing etcd-server, so keep the two in step: add checks here, not there.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "npm ci"
npm ci

step "buf lint"
npx buf lint

step "generated code is fresh (npm run gen, then git diff packages/proto)"
if ! git rev-parse --is-inside-work-tree >/dev/null; then
  echo "ERROR: the freshness check needs a git checkout (git diff against the committed generated code)." >&2
  exit 1
fi
npm run gen
# `git diff` misses files that generation newly created, so look for untracked ones as well.
untracked="$(git ls-files --others --exclude-standard -- packages/proto)"
if ! git diff --exit-code --stat -- packages/proto || [ -n "$untracked" ]; then
  if [ -n "$untracked" ]; then printf 'untracked generated files:\n%s\n' "$untracked"; fi
  echo >&2
  echo "ERROR: generated code in packages/proto is stale: it does not match proto/." >&2
  echo "       Run \`npm run gen\` and commit the result (never edit packages/proto/src/gen by hand)." >&2
  echo "       (This compares against the git index: locally, \`git add\` freshly generated files first.)" >&2
  exit 1
fi

step "typecheck"
npm run typecheck

step "npm test"
npm test
