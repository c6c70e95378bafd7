package io.gridwire.platform;

import java.util.function.Predicate;

import javax.sql.DataSource;

import io.gridwire.sink.KafkaTopics;

/**
 * The probes of the three sinks (PostgreSQL, Kafka with the topics gridwire writes, the InfluxDB v2 API): health
 * checks, and the judge every sink pipeline asks whether a failing sink still answers.
 */
final class SinkChecks {

    final DependencyCheck postgresql;
    final DependencyCheck kafka;
    final DependencyCheck influxdb;

    SinkChecks(DataSource dataSource, PlatformSettings s, KafkaTopics topics, io.gridwire.sink.KafkaClients kafkaClients,
               TlsContexts.Material influxCa) {
        postgresql = DependencyCheck.postgresql(dataSource, s.dbUrl);
        kafka = DependencyCheck.kafka(kafkaClients, topics::problem);
        influxdb = DependencyCheck.influxdb(s.influxUrl, influxCa == null ? null : TlsContexts.context(influxCa));
    }

    /** True for a failure the sink answered (it is up and refused), false for one that says nothing about the message. */
    Predicate<Throwable> answering() {
        return DependencyCheck.sinkAnswering(postgresql, influxdb, kafka);
    }
}
