#!/bin/sh
# The namespace and the search attributes ops filter on in the Temporal UI (workflows/shared.ts SEARCH_ATTRIBUTES;
# test/unit/docker-compose.test.ts keeps the two lists equal). Idempotent: docker-compose.yml runs it on every start,
# and the api and the workers start only once it has ended, with every attribute usable. The worker also adds missing
# attributes at start-up, for clusters set up otherwise.
# The temporal CLI reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, and for a managed cluster TEMPORAL_API_KEY and
# TEMPORAL_TLS_*, from the environment: the same variables as the api and the worker.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
attributes='InvoiceId=Keyword MerchantId=Keyword InvoiceStatus=Keyword TwoCheckoutRefNo=Keyword InvoiceLate=Bool InvoiceStatusChangedAt=Datetime'

# `retry N MESSAGE COMMAND…`: runs COMMAND every 2 s until it succeeds, at most N times; then fails with MESSAGE.
retry() {
  limit="$1" message="$2"
  shift 2
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge "$limit" ]; then
      echo "$message" >&2
      exit 1
    fi
    sleep 2
  done
}
quietly() { "$@" >/dev/null 2>&1; }

# Its port opens before the server serves: wait until it says it does (two minutes at most).
retry 60 "Temporal at ${TEMPORAL_ADDRESS:-localhost:7233} is not serving" quietly temporal operator cluster health

temporal operator namespace describe --namespace "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$ns" --retention 30d

# A namespace created a moment ago is not known to every part of the server at once: try again for a minute.
has_or_create() {
  temporal operator search-attribute list --namespace "$ns" | grep -qw "$1" ||
    temporal operator search-attribute create --namespace "$ns" --name "$1" --type "$2"
}
for attribute in $attributes; do
  name="${attribute%%=*}"
  retry 30 "could not create the search attribute $name in namespace $ns" has_or_create "$name" "${attribute#*=}"
done

# The server caches search attributes: one created a moment ago can be unknown to queries and workflow starts for up
# to a minute. Wait until each one is usable, rather than turning the cache off with
# system.forceSearchAttributesCacheRefreshOnRead, which Temporal's server says is not for production.
for attribute in $attributes; do
  name="${attribute%%=*}"
  case "${attribute#*=}" in
    Bool) query="$name = true" ;;
    Datetime) query="$name > '2000-01-01T00:00:00Z'" ;;
    *) query="$name = ''" ;;
  esac
  retry 60 "the search attribute $name of namespace $ns is still unknown to queries after two minutes" \
    quietly temporal workflow count --namespace "$ns" --query "$query"
done
echo "namespace $ns has the search attributes $attributes"
