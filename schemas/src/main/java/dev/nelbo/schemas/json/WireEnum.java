package dev.nelbo.schemas.json;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Lower-case wire names for enums, with errors that list the accepted values. */
public final class WireEnum {

    private WireEnum() {
    }

    /** @return the wire name of a constant: its name in lower case */
    public static String wireName(final Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a wire name.
     *
     * @param type  enum class
     * @param text  wire name, case-insensitive
     * @param field what is being parsed, for the message
     * @param <E>   enum type
     * @return the constant
     * @throws IllegalArgumentException naming the field and the accepted values
     */
    public static <E extends Enum<E>> E parse(final Class<E> type, final String text, final String field) {
        if (text != null) {
            for (E e : type.getEnumConstants()) {
                if (wireName(e).equalsIgnoreCase(text.trim())) {
                    return e;
                }
            }
        }
        final String accepted = Arrays.stream(type.getEnumConstants()).map(WireEnum::wireName)
                .collect(Collectors.joining(", "));
        throw new IllegalArgumentException(field + ": '" + text + "' is not one of " + accepted);
    }
}
