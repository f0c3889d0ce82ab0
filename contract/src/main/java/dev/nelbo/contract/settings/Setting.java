package dev.nelbo.contract.settings;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Validator;
import org.apache.kafka.common.config.ConfigException;

import java.util.function.Consumer;

/**
 * One setting as a jar declares it, the one place its name, type, default, check and documentation are written:
 * the settings enums ({@code ScorerKey}, {@code RetrainKey}) hold one each, {@link Settings} parses and checks values
 * with Kafka's {@link ConfigDef} built from them, and {@link SettingsTable} renders the documentation from them.
 *
 * @param name         the key users write ({@code nelbo.topic.events}, or a Kafka key the jar sets a default for)
 * @param type         how its value parses
 * @param defaultValue its default ({@link #REQUIRED}: it must be given; null: unset unless given)
 * @param validator    what a parsed value must satisfy, or null
 * @param defaultText  how the docs show a default that is worked out at run time, or null to show {@code defaultValue}
 * @param doc          what it does, as the docs show it (Markdown)
 */
public record Setting(String name, Type type, Object defaultValue, Validator validator, String defaultText, String doc) {

    /** The default of a setting that must be given. */
    public static final Object REQUIRED = ConfigDef.NO_DEFAULT_VALUE;

    /**
     * @param name         the key
     * @param type         its type
     * @param defaultValue its default, {@link #REQUIRED} or null
     * @param doc          what it does
     * @return the setting, without a check beyond its type
     */
    public static Setting of(final String name, final Type type, final Object defaultValue, final String doc) {
        return new Setting(name, type, defaultValue, null, null, doc);
    }

    /**
     * @param validator what a value must satisfy
     * @return this setting with the check
     */
    public Setting checked(final Validator validator) {
        return new Setting(name, type, defaultValue, validator, defaultText, doc);
    }

    /**
     * @param text how the docs show a default worked out at run time
     * @return this setting with the text
     */
    public Setting defaultShownAs(final String text) {
        return new Setting(name, type, defaultValue, validator, text, doc);
    }

    /**
     * A check that hands a non-empty value to a parser, whose {@link IllegalArgumentException} becomes the setting's error.
     *
     * @param parser parses (and so checks) a value
     * @return the validator
     */
    public static Validator parsedBy(final Consumer<String> parser) {
        return (name, value) -> {
            if (value == null || value.toString().isEmpty()) {
                return;
            }
            try {
                parser.accept(value.toString());
            } catch (final IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        };
    }

    /**
     * @param name         the key
     * @param defaultValue its default topic, or null
     * @param doc          what it does
     * @return a topic-name setting, checked by {@link #topicName}
     */
    public static Setting topic(final String name, final String defaultValue, final String doc) {
        return of(name, Type.STRING, defaultValue, doc).checked(topicName());
    }

    /** @return a valid Kafka topic name, or unset (empty counts as unset: a setting that must have one says so when read) */
    public static Validator topicName() {
        return (name, value) -> {
            if (value != null && !value.toString().isEmpty() && !value.toString().matches("[a-zA-Z0-9._-]{1,249}")) {
                throw new ConfigException(name, value, "not a valid topic name");
            }
        };
    }

    void defineIn(final ConfigDef def) {
        def.define(name, type, defaultValue, validator, ConfigDef.Importance.MEDIUM, doc, null, -1, ConfigDef.Width.NONE,
                name, java.util.List.of(), null, defaultText);
    }
}
