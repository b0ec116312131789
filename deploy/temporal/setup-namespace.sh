#!/bin/sh
# The namespace and the search attributes ops filter on in the Temporal UI (workflows/shared.ts SEARCH_ATTRIBUTES;
# test/unit/docker-compose.test.ts keeps the two lists equal). Idempotent: docker-compose.yml runs it on every start,
# before the api and the workers. The worker also adds missing attributes at start-up, for clusters set up otherwise.
# The temporal CLI reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, and for a managed cluster TEMPORAL_API_KEY and
# TEMPORAL_TLS_*, from the environment: the same variables as the api and the worker.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
attributes='InvoiceId=Keyword MerchantId=Keyword InvoiceStatus=Keyword TwoCheckoutRefNo=Keyword InvoiceLate=Bool InvoiceStatusChangedAt=Datetime'

# Its port opens before the server serves: wait until it says it does (two minutes at most).
tries=0
until temporal operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Temporal at ${TEMPORAL_ADDRESS:-localhost:7233} is not serving" >&2
    exit 1
  fi
  sleep 2
done

temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention 30d

for attribute in $attributes; do
  name="${attribute%%=*}"
  type="${attribute#*=}"
  # A namespace created a moment ago is not known to every part of the server at once: try again for a minute.
  tries=0
  until temporal operator search-attribute list --namespace "$ns" | grep -qw "$name" ||
    temporal operator search-attribute create --namespace "$ns" --name "$name" --type "$type"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "could not create the search attribute $name in namespace $ns" >&2
      exit 1
    fi
    sleep 2
  done
done
echo "namespace $ns has the search attributes $attributes"
