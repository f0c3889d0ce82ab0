package dev.nelbo.contract.settings;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One jar's settings, parsed and checked against its declarations: every declared key typed (defaults applied), and
 * the Kafka client keys the jar passes through kept as given. An unknown {@code nelbo.*} key, a key that is neither
 * declared nor passed through, and a value that does not parse or pass its check each fail with a message naming the
 * key, before anything starts.
 */
public final class Settings {

    private final ConfigDef def;
    private final Map<String, String> given;
    private final Map<String, Object> parsed;

    private Settings(final ConfigDef def, final Map<String, String> given, final Map<String, Object> parsed) {
        this.def = def;
        this.given = Collections.unmodifiableMap(given);
        this.parsed = Collections.unmodifiableMap(parsed);
    }

    /**
     * @param settings the declarations
     * @return Kafka's {@link ConfigDef} of them, in declaration order
     */
    public static ConfigDef define(final Iterable<Setting> settings) {
        final ConfigDef def = new ConfigDef();
        settings.forEach(s -> s.defineIn(def));
        return def;
    }

    /**
     * @param def           the jar's declarations
     * @param settings      the settings given (file, environment and flags layered, see {@link SettingSources})
     * @param isPassThrough which undeclared keys the jar hands to its Kafka clients
     * @param passThroughIs what those keys are, for the message about a key that is none of them
     * @return the checked settings
     * @throws IllegalArgumentException naming the offending key
     */
    public static Settings parse(final ConfigDef def, final Map<String, String> settings, final Predicate<String> isPassThrough,
                                 final String passThroughIs) {
        final Map<String, String> given = new TreeMap<>();
        final Map<String, String> declared = new LinkedHashMap<>();
        for (final Map.Entry<String, String> e : settings.entrySet()) {
            final String key = e.getKey().trim();
            final String value = e.getValue() == null ? "" : e.getValue().trim();
            if (!def.names().contains(key) && (key.startsWith("nelbo.") || !isPassThrough.test(key))) {
                throw new IllegalArgumentException("unknown setting '" + key + "': " + (key.startsWith("nelbo.")
                        ? "known nelbo settings are " + String.join(", ", new java.util.TreeSet<>(def.names()))
                        : "neither a nelbo.* setting nor " + passThroughIs));
            }
            given.put(key, value);
            if (def.names().contains(key)) {
                declared.put(key, value);
            }
        }
        try {
            return new Settings(def, given, def.parse(declared));
        } catch (final ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * @param key a declared key
     * @return its value as text (default applied), or empty when unset or empty
     */
    public Optional<String> text(final String key) {
        final Object v = value(key);
        if (v == null) {
            return Optional.empty();
        }
        final String s = v instanceof Password p ? p.value() : ConfigDef.convertToString(v, def.configKeys().get(key).type);
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    /**
     * @param key   a declared key
     * @param type  the value's Java type
     * @param <T>   that type
     * @return its parsed value (default applied), or null when unset
     */
    public <T> T value(final String key, final Class<T> type) {
        return type.cast(value(key));
    }

    private Object value(final String key) {
        if (!parsed.containsKey(key)) {
            throw new IllegalStateException("'" + key + "' is not a declared setting");
        }
        return parsed.get(key);
    }

    /**
     * @param key     a declared key
     * @param convert parses the value further (a duration, an instant, a key file)
     * @param <T>     the result
     * @return the converted value, or empty when unset; a failure names the key
     */
    public <T> Optional<T> converted(final String key, final Function<String, T> convert) {
        try {
            return text(key).map(convert);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("setting '" + key + "': " + e.getMessage(), e);
        }
    }

    /**
     * @param key a declared list of URLs (an Alertmanager's, a schema registry's)
     * @return them, without trailing slashes
     */
    public java.util.List<java.net.URI> urls(final String key) {
        return value(key, java.util.List.class).stream()
                .map(u -> java.net.URI.create(u.toString().replaceAll("/+$", ""))).toList();
    }

    /**
     * @param userKey     a declared user setting
     * @param passwordKey its password setting
     * @return the {@code Authorization} header's value for them, if set
     * @throws IllegalArgumentException when only one of the two is set
     */
    public Optional<String> basicAuthorization(final String userKey, final String passwordKey) {
        final Optional<String> user = text(userKey);
        final Optional<String> password = text(passwordKey);
        if (user.isPresent() != password.isPresent()) {
            throw new IllegalArgumentException("set both '" + userKey + "' and '" + passwordKey + "', or neither");
        }
        return user.map(u -> basicHeader(u, password.orElseThrow()));
    }

    /**
     * @param user     a user
     * @param password its password
     * @return the {@code Authorization} header's value of HTTP basic authentication
     */
    public static String basicHeader(final String user, final String password) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** @return every setting given, by key, as given (trimmed): declared ones and those passed through */
    public Map<String, String> given() {
        return given;
    }
}
