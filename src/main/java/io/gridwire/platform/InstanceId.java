package io.gridwire.platform;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** This instance's id ({@code gridwire.instance-id}, environment {@code GRIDWIRE_INSTANCE_ID}), or the host name. */
final class InstanceId {

    /** Letters, digits, '.', '_' and '-', at most 48 characters: it goes into MQTT client ids and PostgreSQL names. */
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,48}");

    private InstanceId() {
    }

    /**
     * @param configured {@code gridwire.instance-id}; blank for the host name
     * @return the id, as configured or the host name (characters outside the allowed ones replaced by '-')
     * @throws IllegalArgumentException a configured id with other characters or longer than 48
     */
    static String resolve(String configured) {
        if (configured != null && !configured.isBlank()) {
            String id = configured.trim();
            if (!VALID.matcher(id).matches()) {
                throw new IllegalArgumentException("gridwire.instance-id (GRIDWIRE_INSTANCE_ID) '" + id
                        + "': letters, digits, '.', '_' and '-' only, 1 to 48 characters");
            }
            return id;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "gridwire");
        }
        String id = host.replaceAll("[^A-Za-z0-9._-]", "-");
        return id.isEmpty() ? "gridwire" : id.substring(0, Math.min(48, id.length()));
    }
}
