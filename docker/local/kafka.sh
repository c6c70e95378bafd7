#!/usr/bin/env bash
# A single-node Kafka broker in KRaft mode from the Maven Central jars in /opt/kafka/libs (what scripts/services.sh
# runs locally), reachable in the compose network as kafka:9092 and from the host as $KAFKA_HOST_ADVERTISED (the port
# compose publishes, default localhost:29092). Data in /var/lib/kafka/data.
set -euo pipefail
DATA=/var/lib/kafka/data
mkdir -p "$DATA" /tmp/kafka
{ cat /opt/gridwire/kafka-single-node.properties
  cat <<PROPS
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,HOST://:29092,CONTROLLER://localhost:9093
advertised.listeners=PLAINTEXT://kafka:9092,HOST://${KAFKA_HOST_ADVERTISED:-localhost:29092}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,HOST:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
PROPS
} >/tmp/kafka/server.properties
cat >/tmp/kafka/log4j.properties <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.logger.kafka.server.BrokerServer=INFO
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
opts=(-Xms256m -Xmx512m -Dlog4j.configuration=file:/tmp/kafka/log4j.properties -cp '/opt/kafka/libs/*')
if [[ ! -f $DATA/meta.properties ]]; then
  java "${opts[@]}" kafka.tools.StorageTool format -t "$(java "${opts[@]}" kafka.tools.StorageTool random-uuid)" \
    -c /tmp/kafka/server.properties
fi
exec java "${opts[@]}" kafka.Kafka /tmp/kafka/server.properties
