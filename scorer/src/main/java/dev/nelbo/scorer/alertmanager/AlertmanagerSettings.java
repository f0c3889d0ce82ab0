package dev.nelbo.scorer.alertmanager;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the Alertmanager bridge needs from the settings ({@code nelbo.alertmanager.*}, see {@code ScorerKey}).
 *
 * @param urls          base URL of each Alertmanager instance
 * @param groupId       the bridge's consumer group
 * @param offsetReset   where a group without offsets starts ({@code latest} or {@code earliest})
 * @param resolve       how long after it is sent an alert resolves
 * @param staticLabels  labels added to every alert
 * @param timeout       longest wait for one request
 * @param retryMax      longest pause between attempts
 * @param authorization the {@code Authorization} header's value, if any (basic or bearer)
 */
public record AlertmanagerSettings(List<URI> urls, String groupId, String offsetReset, Duration resolve,
                                   Map<String, String> staticLabels, Duration timeout, Duration retryMax,
                                   Optional<String> authorization) {

    /** Validates and copies. */
    public AlertmanagerSettings {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("setting 'nelbo.alertmanager.url' is required by the alertmanager command");
        }
        urls = List.copyOf(urls);
        staticLabels = Map.copyOf(staticLabels);
    }

    @Override
    public String toString() {
        // the authorization header's value is a secret
        return "AlertmanagerSettings[urls=" + urls + ", groupId=" + groupId + ", offsetReset=" + offsetReset + ", resolve="
                + resolve + ", staticLabels=" + staticLabels + ", timeout=" + timeout + ", retryMax=" + retryMax
                + ", authorization=" + authorization.map(a -> "(set)").orElse("(none)") + "]";
    }
}
