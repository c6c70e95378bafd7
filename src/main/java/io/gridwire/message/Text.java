package io.gridwire.message;

import java.util.regex.Pattern;

/** What gridwire accepts as an identifier, and how it quotes untrusted text back in messages and logs. */
public final class Text {

    /** Ids that are safe as an MQTT topic level, a URL path segment and a log token: 1-64 of [A-Za-z0-9._-]. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Text() {
    }

    /**
     * A string safe to echo in a message or a log: control characters and markup brackets replaced by '?', cut to 64
     * characters (then "..." appended).
     */
    public static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return t.replaceAll("[\\p{Cntrl}<>]", "?");
    }
}
