#!/usr/bin/env bash
# Fetch and check the models of one scoring profile, at image build time.
# Usage: fetch-models.sh PROFILE [EMB_REVISION]
set -euo pipefail
profile="${1:?profile}"
revision="${2:-main}"
scispacy_url="https://s3-us-west-2.amazonaws.com/ai2-s2-scispacy/releases/v0.5.4/en_core_sci_lg-0.5.4.tar.gz"

case "$profile" in
  offline)
    reg-eval models fetch --profile offline
    ;;
  reg2025|reg2025-dev)
    if [ "$profile" = reg2025 ]; then emb=aaditya/Llama3-OpenBioLLM-8B; else emb=dmis-lab/biobert-v1.1; fi
    pip install --no-deps "$scispacy_url"
    # weights for other frameworks are never loaded: leave them out
    hf download "$emb" --revision "$revision" \
      --exclude "*.h5" --exclude "*.msgpack" --exclude "*.ot" --exclude "*.pth" --exclude "original/*"
    ;;
  *)
    echo "unknown profile: $profile (use reg2025, reg2025-dev or offline)" >&2
    exit 2
    ;;
esac

# Fails the build when a model is missing or does not match its pinned hashes.
reg-eval models verify --profile "$profile"
reg-eval models list --profile "$profile"
