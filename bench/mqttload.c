/* mqttload: a plain libmosquitto load generator and counter, used to measure
 * the broker's own limit beside the project's ingestion rate.
 *   mqttload pub HOST PORT TOPIC_FMT N QOS DEVICES   (TOPIC_FMT has one %s: the device id)
 *   mqttload sub HOST PORT FILTER N QOS [TIMEOUT_S]
 * pub with N = 0 only connects (a credentials check). sub writes "subscribed" to stderr once the broker granted the
 * subscription, then counts for at most TIMEOUT_S (default 120) from the first message (and waits at most that long
 * for the first one).
 * Env MQTTLOAD_WINDOW: unacked QoS>0 publishes in flight (default 1000).
 * Env MQTTLOAD_USER / MQTTLOAD_PASS: credentials, where the broker requires them.
 * Env MQTTLOAD_CONNECT_TIMEOUT: seconds to wait for the broker's CONNACK (default 10).
 * Env MQTTLOAD_DEVICE_PREFIX (gridwire addition): device ids are PREFIX%05d (default mock-load-).
 * Env MQTTLOAD_TS_NOW=1 (gridwire addition): each payload's timestamp is its publish time in microseconds,
 *   strictly increasing, so messages are distinct (gridwire dedups on device + timestamp) and latency can be read
 *   from the sinks.
 * Env MQTTLOAD_RATE (gridwire addition): publish at this many messages per second (paced from the first
 *   publish); 0 or unset = as fast as the window allows.
 * Env MQTTLOAD_LATENCY=1 (gridwire addition, sub): also print p50/p99/max of receipt minus the payload's "timestamp"
 *   (mqttload's publish time with MQTTLOAD_TS_NOW; same host clock).
 * Env MQTTLOAD_FORMAT (gridwire addition): payload shape, one of
 *   energy   seed 001 reading {"device_id","timestamp","seq","power","voltage","current","energy","status","enabled"} (default)
 *   autocore seed 002 telemetry {"device_id","temperature","humidity","voltage","memory_free","timestamp"}
 *   sites    seed 003 telemetry {"powerKw","voltage","current","temperature","efficiency","timestamp"}
 *   pdu      seed 004 socket data {"voltage","current","power","energy","temperature","timestamp"}
 *   Values vary a little per device from one message to the next (never enough for AutoCore's anomaly check).
 * Exit status: 0 done; 1 failure while running; 2 usage; 3 the broker refused the connection (CONNACK reason code,
 *   e.g. bad user name or password); 4 no CONNACK (nothing answering, or no answer within the timeout);
 *   5 the broker refused a publish or subscription (reason code, e.g. not authorized by its ACL).
 * Build: gcc -O2 -o mqttload mqttload.c -lmosquitto
 */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile long acked = 0, received = 0;
static volatile int connack = -1;          /* -1: none yet, else the CONNACK reason code */
static volatile int refused = 0;           /* reason code of a refused PUBLISH or SUBSCRIBE */
static volatile int subscribed = 0;
static volatile int connection_lost = 0;
static long target = 0;
static long window = 1000;

static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
static void on_connect(struct mosquitto *m, void *u, int rc, int flags, const mosquitto_property *p) {
    (void)m; (void)u; (void)flags; (void)p; connack = rc;
}
static void on_disconnect(struct mosquitto *m, void *u, int rc, const mosquitto_property *p) {
    (void)m; (void)u; (void)p; if (rc != 0) connection_lost = 1;
}
static void on_publish(struct mosquitto *m, void *u, int mid, int reason, const mosquitto_property *p) {
    (void)m; (void)u; (void)mid; (void)p;
    /* 0x10 'no matching subscribers' is a success; 0x80 and above are refusals */
    if (reason >= 0x80 && !refused) refused = reason;
    __sync_fetch_and_add(&acked, 1);
}
static void on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *granted, const mosquitto_property *p) {
    (void)m; (void)u; (void)mid; (void)p;
    if (n > 0 && granted[0] >= 0x80) refused = granted[0]; else subscribed = 1;
}
/* sub with MQTTLOAD_LATENCY=1: receipt minus the payload's "timestamp" (mqttload's publish time), in ms */
static double *latencies = NULL;
static long latency_count = 0;

static long long micros_of(const char *iso) {
    struct tm tm; memset(&tm, 0, sizeof tm);
    long us = 0;
    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.%6ldZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &us) < 6) return -1;
    tm.tm_year -= 1900; tm.tm_mon -= 1;
    return (long long)timegm(&tm) * 1000000LL + us;
}

static void on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg) {
    (void)m; (void)u;
    if (latencies && latency_count < target && msg->payloadlen > 0) {
        struct timespec rt; clock_gettime(CLOCK_REALTIME, &rt);
        char buf[600]; int n = msg->payloadlen < (int)sizeof buf - 1 ? msg->payloadlen : (int)sizeof buf - 1;
        memcpy(buf, msg->payload, n); buf[n] = 0;
        const char *t = strstr(buf, "\"timestamp\":\"");
        long long sent = t ? micros_of(t + 13) : -1;
        if (sent > 0) latencies[latency_count++] = ((long long)rt.tv_sec * 1000000LL + rt.tv_nsec / 1000 - sent) / 1000.0;
    }
    __sync_fetch_and_add(&received, 1);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Waits for the CONNACK; exits 3 if the broker refused the connection, 4 if none came in time. */
static void await_connack(const char *host, int port, const char *user) {
    double timeout = getenv("MQTTLOAD_CONNECT_TIMEOUT") ? atof(getenv("MQTTLOAD_CONNECT_TIMEOUT")) : 10;
    double t0 = now();
    while (connack < 0 && now() - t0 < timeout) usleep(1000);
    if (connack < 0) {
        fprintf(stderr, "mqttload: no CONNACK from %s:%d within %.0f s\n", host, port, timeout);
        exit(4);
    }
    if (connack != 0) {
        fprintf(stderr, "mqttload: broker at %s:%d refused the connection as '%s': %s (reason code 0x%02x)\n", host, port,
                user ? user : "(no user)", mosquitto_reason_string(connack), connack);
        exit(3);
    }
}

static void check_refused(const char *what, const char *topic) {
    if (refused) {
        fprintf(stderr, "mqttload: broker refused the %s on '%s': %s (reason code 0x%02x)\n", what, topic,
                mosquitto_reason_string(refused), refused);
        exit(5);
    }
    if (connection_lost) {
        fprintf(stderr, "mqttload: lost the connection to the broker\n");
        exit(1);
    }
}

/* The ISO-8601 timestamp of this moment in microseconds, strictly after the previous one. */
static void timestamp_now(char *ts, size_t size) {
    static long long last_us = 0;
    struct timespec rt; clock_gettime(CLOCK_REALTIME, &rt);
    long long us = (long long)rt.tv_sec * 1000000LL + rt.tv_nsec / 1000;
    if (us <= last_us) us = last_us + 1;
    last_us = us;
    time_t s = (time_t)(us / 1000000LL);
    struct tm tm; gmtime_r(&s, &tm);
    size_t k = strftime(ts, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + k, size - k, ".%06lldZ", us % 1000000LL);
}

/* One payload of the given shape; k is the device's own message count, i the overall one. */
static int payload(char *p, size_t size, const char *format, const char *dev, const char *ts, long i, long k, double energy) {
    int odd = (int)(k % 2);
    if (strcmp(format, "autocore") == 0) {
        return snprintf(p, size, "{\"device_id\":\"%s\",\"temperature\":%.1f,\"humidity\":%.1f,\"voltage\":%.2f,"
                        "\"memory_free\":%d,\"timestamp\":\"%s\"}", dev, 25.6 + odd * 0.2, 45.2 - odd * 0.4,
                        3.28 + odd * 0.01, 45120 - odd * 64, ts);
    }
    if (strcmp(format, "sites") == 0) {
        return snprintf(p, size, "{\"powerKw\":%.1f,\"voltage\":%.1f,\"current\":%.1f,\"temperature\":%.1f,"
                        "\"efficiency\":%.1f,\"timestamp\":\"%s\"}", 45.2 + odd * 0.6, 480.5 - odd * 0.5,
                        94.3 + odd * 1.1, 35.2 + odd * 0.2, 98.5 - odd * 0.1, ts);
    }
    if (strcmp(format, "pdu") == 0) {
        return snprintf(p, size, "{\"voltage\":%.1f,\"current\":%.2f,\"power\":%.1f,\"energy\":%.2f,\"temperature\":%.1f,"
                        "\"timestamp\":\"%s\"}", 230.4 - odd * 0.3, 1.25 + odd * 0.02, 288.0 + odd * 4.5, 12.5 + energy,
                        31.5 + odd * 0.1, ts);
    }
    return snprintf(p, size,
        "{\"device_id\":\"%s\",\"timestamp\":\"%s\",\"seq\":%ld,\"power\":%.2f,"
        "\"voltage\":%.1f,\"current\":%.1f,\"energy\":%.2f,\"status\":\"online\",\"enabled\":true}",
        dev, ts, i, 25.0 + (i % 100) / 40.0, 239.8, 23.7, energy);
}

int main(int argc, char **argv) {
    if (argc < 7) { fprintf(stderr, "usage: see header\n"); return 2; }
    const char *mode = argv[1], *host = argv[2]; int port = atoi(argv[3]);
    const char *topic = argv[4]; target = atol(argv[5]); int qos = atoi(argv[6]);
    const char *format = getenv("MQTTLOAD_FORMAT") ? getenv("MQTTLOAD_FORMAT") : "energy";
    if (strcmp(format, "energy") && strcmp(format, "autocore") && strcmp(format, "sites") && strcmp(format, "pdu")) {
        fprintf(stderr, "mqttload: MQTTLOAD_FORMAT must be energy, autocore, sites or pdu, not '%s'\n", format);
        return 2;
    }
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
    const char *user = getenv("MQTTLOAD_USER");
    if (user) mosquitto_username_pw_set(m, user, getenv("MQTTLOAD_PASS"));
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_disconnect_v5_callback_set(m, on_disconnect);
    mosquitto_publish_v5_callback_set(m, on_publish);
    mosquitto_subscribe_v5_callback_set(m, on_subscribe);
    mosquitto_message_callback_set(m, on_message);
    int rc = mosquitto_connect(m, host, port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqttload: cannot connect to %s:%d: %s\n", host, port, mosquitto_strerror(rc));
        return 4;
    }
    mosquitto_loop_start(m);
    await_connack(host, port, user);
    if (strcmp(mode, "pub") == 0) {
        int devices = atoi(argv[7]);
        if (devices < 1) devices = 1;
        int ts_now = getenv("MQTTLOAD_TS_NOW") != NULL;
        double rate = getenv("MQTTLOAD_RATE") ? atof(getenv("MQTTLOAD_RATE")) : 0;
        const char *dev_prefix = getenv("MQTTLOAD_DEVICE_PREFIX") ? getenv("MQTTLOAD_DEVICE_PREFIX") : "mock-load-";
        char t[256] = "", p[512]; double t0 = now(); double energy = 0;
        for (long i = 0; i < target; i++) {
            if (rate > 0) { /* paced: message i leaves at t0 + i / rate */
                double wait = t0 + i / rate - now();
                if (wait > 0) {
                    struct timespec d = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
                    nanosleep(&d, NULL);
                }
            }
            char dev[96]; snprintf(dev, sizeof dev, "%s%05ld", dev_prefix, i % devices);
            snprintf(t, sizeof t, topic, dev);
            energy += 0.01;
            char ts[40] = "2025-08-09T16:30:00Z";
            while (qos > 0 && i - acked >= window) { check_refused("publish", t); usleep(50); }
            check_refused("publish", t);
            if (ts_now) timestamp_now(ts, sizeof ts);
            int n = payload(p, sizeof p, format, dev, ts, i, i / devices, energy);
            while ((rc = mosquitto_publish(m, NULL, t, n, p, qos, false)) == MOSQ_ERR_OVERSIZE_PACKET || rc == MOSQ_ERR_NOMEM) usleep(100);
            if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "mqttload: publish failed: %s\n", mosquitto_strerror(rc)); return 1; }
        }
        while (qos > 0 && acked < target) { check_refused("publish", t); usleep(1000); }
        check_refused("publish", t);
        double dt = now() - t0;
        if (target > 0) printf("published %ld qos%d in %.3f s: %.0f msg/s\n", target, qos, dt, target / dt);
        else printf("connected to %s:%d as '%s'\n", host, port, user ? user : "(no user)");
    } else {
        double timeout = argc > 7 ? atof(argv[7]) : 120;
        if (getenv("MQTTLOAD_LATENCY") && target > 0) latencies = malloc(sizeof(double) * target);
        mosquitto_subscribe(m, NULL, topic, qos);
        double ts = now();
        while (!subscribed && now() - ts < timeout) { check_refused("subscription", topic); usleep(1000); }
        check_refused("subscription", topic);
        if (!subscribed) { fprintf(stderr, "mqttload: no SUBACK for '%s' within %.0f s\n", topic, timeout); return 1; }
        fprintf(stderr, "subscribed\n"); /* progress, on stderr: stdout keeps the one result line */
        ts = now();
        while (received == 0 && now() - ts < timeout && !connection_lost) usleep(200);
        double t0 = now();
        while (received > 0 && received < target && now() - t0 < timeout && !connection_lost) usleep(200);
        double dt = received > 0 ? now() - t0 : 0;
        printf("received %ld of %ld qos%d in %.3f s: %.0f msg/s", (long)received, target, qos, dt, dt > 0 ? received / dt : 0);
        if (latencies && latency_count > 0) {
            long k = latency_count;
            qsort(latencies, k, sizeof(double), by_value);
            printf("; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms", latencies[(k - 1) / 2], latencies[(long)(0.99 * k + 0.999) - 1],
                   latencies[k - 1]);
        }
        printf("\n");
    }
    mosquitto_disconnect(m); mosquitto_loop_stop(m, true); mosquitto_destroy(m); mosquitto_lib_cleanup();
    return 0;
}
