/* mqttload: a plain libmosquitto load generator and counter, used to measure
 * the broker's own limit beside the project's ingestion rate.
 *   mqttload pub HOST PORT TOPIC_FMT N QOS DEVICES   (TOPIC_FMT has one %s: the device id)
 *   mqttload sub HOST PORT FILTER N QOS [TIMEOUT_S]
 * Env MQTTLOAD_WINDOW: unacked QoS>0 publishes in flight (default 1000).
 * Env MQTTLOAD_USER / MQTTLOAD_PASS: credentials, where the broker requires them.
 * Env MQTTLOAD_DEVICE_PREFIX (gridwire addition): device ids are PREFIX%05d (default mock-load-).
 * Env MQTTLOAD_TS_NOW=1 (gridwire addition): each payload's timestamp is its publish time in microseconds,
 *   so readings are distinct (gridwire dedups on device + timestamp) and latency can be read from the sinks.
 * Build: gcc -O2 -o mqttload mqttload.c -lmosquitto
 */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile long acked = 0, received = 0;
static long target = 0;
static long window = 1000;

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
static void on_publish(struct mosquitto *m, void *u, int mid) { (void)m; (void)u; (void)mid; __sync_fetch_and_add(&acked, 1); }
static void on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg) {
    (void)m; (void)u; (void)msg; __sync_fetch_and_add(&received, 1);
}

int main(int argc, char **argv) {
    if (argc < 7) { fprintf(stderr, "usage: see header\n"); return 2; }
    const char *mode = argv[1], *host = argv[2]; int port = atoi(argv[3]);
    const char *topic = argv[4]; target = atol(argv[5]); int qos = atoi(argv[6]);
    mosquitto_lib_init();
    char id[64]; snprintf(id, sizeof id, "mqttload-%s-%d", mode, getpid());
    struct mosquitto *m = mosquitto_new(id, true, NULL);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    if (getenv("MQTTLOAD_WINDOW")) window = atol(getenv("MQTTLOAD_WINDOW"));
    if (window < 1) window = 1;
    if (window > 65535) window = 65535;
    mosquitto_max_inflight_messages_set(m, (unsigned int)window);
    mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, 65535);
    mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, (int)window);
    if (getenv("MQTTLOAD_USER")) mosquitto_username_pw_set(m, getenv("MQTTLOAD_USER"), getenv("MQTTLOAD_PASS"));
    mosquitto_publish_callback_set(m, on_publish);
    mosquitto_message_callback_set(m, on_message);
    if (mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS) { fprintf(stderr, "connect failed\n"); return 1; }
    mosquitto_loop_start(m);
    if (strcmp(mode, "pub") == 0) {
        int devices = atoi(argv[7]);
        int ts_now = getenv("MQTTLOAD_TS_NOW") != NULL;
        const char *dev_prefix = getenv("MQTTLOAD_DEVICE_PREFIX") ? getenv("MQTTLOAD_DEVICE_PREFIX") : "mock-load-";
        char t[256], p[512]; double t0 = now(); double energy = 0;
        for (long i = 0; i < target; i++) {
            char dev[96]; snprintf(dev, sizeof dev, "%s%05ld", dev_prefix, i % devices);
            snprintf(t, sizeof t, topic, dev);
            energy += 0.01;
            char ts[40] = "2025-08-09T16:30:00Z";
            if (ts_now) {
                struct timespec rt; clock_gettime(CLOCK_REALTIME, &rt);
                struct tm tm; gmtime_r(&rt.tv_sec, &tm);
                size_t k = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
                snprintf(ts + k, sizeof ts - k, ".%06ldZ", rt.tv_nsec / 1000);
            }
            int n = snprintf(p, sizeof p,
                "{\"device_id\":\"%s\",\"timestamp\":\"%s\",\"seq\":%ld,\"power\":%.2f,"
                "\"voltage\":%.1f,\"current\":%.1f,\"energy\":%.2f,\"status\":\"online\",\"enabled\":true}",
                dev, ts, i, 25.0 + (i % 100) / 40.0, 239.8, 23.7, energy);
            while (qos > 0 && i - acked >= window) usleep(50);
            int rc;
            while ((rc = mosquitto_publish(m, NULL, t, n, p, qos, false)) == MOSQ_ERR_OVERSIZE_PACKET || rc == MOSQ_ERR_NOMEM) usleep(100);
            if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "publish failed: %s\n", mosquitto_strerror(rc)); return 1; }
        }
        while (acked < target) usleep(1000);
        double dt = now() - t0;
        printf("published %ld qos%d in %.3f s: %.0f msg/s\n", target, qos, dt, target / dt);
    } else {
        double timeout = argc > 7 ? atof(argv[7]) : 120;
        mosquitto_subscribe(m, NULL, topic, qos);
        while (received == 0) usleep(200);
        double t0 = now();
        while (received < target && now() - t0 < timeout) usleep(200);
        double dt = now() - t0;
        printf("received %ld of %ld qos%d in %.3f s: %.0f msg/s\n", (long)received, target, qos, dt, received / dt);
    }
    mosquitto_disconnect(m); mosquitto_loop_stop(m, true); mosquitto_destroy(m); mosquitto_lib_cleanup();
    return 0;
}
