#!/bin/sh
# Forms the Redis Cluster of docker-compose.yml's scaled profile, once. On later starts the
# cluster exists (each node keeps nodes.conf in its volume), but Docker may have given the nodes
# new addresses, which the cluster bus does not look up by name: the nodes are introduced to one
# another again. Either way it exits 0 only when every node reports cluster_state:ok.
set -eu

NODES='redis-node-1 redis-node-2 redis-node-3'
PORT=6379
# Past this the start fails with the cluster's state, rather than the app waiting forever.
READY_TIMEOUT_SECONDS=60

# redis-cli reads the password from REDISCLI_AUTH, which keeps it off the process list.
export REDISCLI_AUTH="$REDIS_PASSWORD"

# CLUSTER MEET, and so --cluster create, take IP addresses, not names.
address_of () {
  address=$(getent hosts "$1" | awk '{ print $1; exit }')
  if [ -z "$address" ]; then
    echo "redis-cluster-init: $1 does not resolve" >&2
    exit 1
  fi
  echo "$address"
}

cluster_info () {
  redis-cli -h "$1" -p "$PORT" cluster info | tr -d '\r'
}

formed=false
for node in $NODES; do
  if cluster_info "$node" | grep -q '^cluster_slots_assigned:[1-9]'; then formed=true; fi
done

if [ "$formed" = false ]; then
  seeds=''
  for node in $NODES; do seeds="$seeds $(address_of "$node"):$PORT"; done
  # shellcheck disable=SC2086 # one argument per node
  redis-cli --cluster create $seeds --cluster-yes
else
  for node in $NODES; do
    for peer in $NODES; do
      if [ "$node" != "$peer" ]; then
        peer_address=$(address_of "$peer")
        redis-cli -h "$node" -p "$PORT" cluster meet "$peer_address" "$PORT" > /dev/null
      fi
    done
  done
fi

waited=0
for node in $NODES; do
  until cluster_info "$node" | grep -qx 'cluster_state:ok'; do
    waited=$((waited + 1))
    if [ "$waited" -gt "$READY_TIMEOUT_SECONDS" ]; then
      echo "redis-cluster-init: $node is not ok after $READY_TIMEOUT_SECONDS s:" >&2
      cluster_info "$node" >&2
      exit 1
    fi
    sleep 1
  done
done
echo 'redis-cluster-init: the cluster is ok'
