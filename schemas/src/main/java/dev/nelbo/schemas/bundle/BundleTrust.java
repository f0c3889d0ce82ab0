package dev.nelbo.schemas.bundle;

import java.security.PublicKey;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which bundle signatures a deployment accepts: those by one of its keys and, when it names one, signed for its
 * audience (a deployment name such as {@code prod-eu}), so that a bundle signed for staging with the same key does
 * not serve in production.
 *
 * @param keys     public keys whose signatures are accepted; empty: unsigned bundles are accepted
 * @param audience the audience a signature must name, or null for any
 */
public record BundleTrust(List<PublicKey> keys, String audience) {

    /** What an audience may be: it is part of the signed text, one line of it. */
    private static final Pattern AUDIENCE = Pattern.compile("[A-Za-z0-9._:/-]{1,128}");

    /** Accepts unsigned bundles. */
    public static final BundleTrust NONE = new BundleTrust(List.of(), null);

    /** @throws IllegalArgumentException for an audience that is not 1-128 of [A-Za-z0-9._:/-], or one without keys */
    public BundleTrust {
        keys = List.copyOf(keys);
        requireAudience(audience);
        if (audience != null && keys.isEmpty()) {
            throw new IllegalArgumentException("a bundle audience needs trusted keys: without them nothing is signed");
        }
    }

    /**
     * @param keys public keys whose signatures are accepted, for any audience
     * @return the trust
     */
    public static BundleTrust of(final List<PublicKey> keys) {
        return new BundleTrust(keys, null);
    }

    /** @return whether signatures are checked at all */
    public boolean checksSignatures() {
        return !keys.isEmpty();
    }

    /**
     * @param audience an audience, or null
     * @return it
     * @throws IllegalArgumentException when it is not 1-128 of [A-Za-z0-9._:/-]
     */
    static String requireAudience(final String audience) {
        if (audience != null && !AUDIENCE.matcher(audience).matches()) {
            throw new IllegalArgumentException("a bundle audience is 1-128 of A-Z a-z 0-9 . _ : / -, got '"
                    + audience.replaceAll("\\p{Cntrl}", "?") + "'");
        }
        return audience;
    }
}
