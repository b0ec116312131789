#!/bin/sh
# The namespace and the search attributes ops filter on in the Temporal UI (workflows/shared.ts SEARCH_ATTRIBUTES).
# Idempotent. The worker also registers missing attributes at start-up, for clusters set up otherwise.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention 30d
for name in InvoiceId MerchantId InvoiceStatus TwoCheckoutRefNo; do
  temporal operator search-attribute list --namespace "$ns" | grep -qw "$name" ||
    temporal operator search-attribute create --namespace "$ns" --name "$name" --type Keyword
done
