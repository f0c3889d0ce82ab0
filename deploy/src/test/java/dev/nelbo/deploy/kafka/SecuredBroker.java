package dev.nelbo.deploy.kafka;

import dev.nelbo.deploy.DeployFiles;
import dev.nelbo.testkit.ExternalTool;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node KRaft broker in its own JVM (the jars of {@code deploy/kafka/pom.xml}), secured as a
 * production cluster would be: clients connect over SASL_SSL with SCRAM-SHA-512 (a certificate made with the
 * JDK's keytool, checked by host name), and KRaft's StandardAuthorizer allows nothing that no ACL grants. The
 * users are bootstrapped at format time ({@code --add-scram}); {@code admin} is the only super user on the client
 * listener.
 */
public final class SecuredBroker implements AutoCloseable {

    /** The SASL mechanism of every user. */
    public static final String MECHANISM = "SCRAM-SHA-512";
    private static final String STORE_PASSWORD = "changeit";

    private final Path dir;
    private final int port;
    private final Process process;

    private SecuredBroker(final Path dir, final int port, final Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** @return the broker's jars, resolved once by Maven like deploy/kafka.sh does */
    public static Path libs() throws IOException, InterruptedException {
        final Path libs = DeployFiles.resolve("target/kafka-libs");
        if (!Files.isRegularFile(libs.resolve("kafka_2.13-" + kafkaVersion() + ".jar"))) {
            final ExternalTool.Output mvn = ExternalTool.run(DeployFiles.root(), 600, "mvn", "-B", "-q", "-f",
                    DeployFiles.resolve("kafka/pom.xml").toString(), "package");
            if (mvn.exitCode() != 0) {
                throw new IllegalStateException("cannot resolve the broker jars: " + mvn.text());
            }
        }
        return libs;
    }

    /** @return the build's Kafka version ({@code kafka.version} in the root pom), the broker's too */
    static String kafkaVersion() throws IOException {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("<kafka.version>([^<]+)</kafka.version>")
                .matcher(Files.readString(DeployFiles.root().getParent().resolve("pom.xml")));
        if (!m.find()) {
            throw new IllegalStateException("no kafka.version in the root pom");
        }
        return m.group(1);
    }

    /**
     * Formats and starts a broker.
     *
     * @param dir   its working directory (certificates, config, logs)
     * @param users SCRAM users (password: name + "-secret"); {@code admin} must be among them
     * @return the running broker, accepting connections
     */
    public static SecuredBroker start(final Path dir, final List<String> users) throws Exception {
        final Path libs = libs();
        Files.createDirectories(dir);
        certificates(dir);
        final int port = freePort();
        final int controller = freePort();
        final Path config = dir.resolve("server.properties");
        Files.writeString(config, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controller,
                "listeners=SASL_SSL://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller,
                "advertised.listeners=SASL_SSL://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=SASL_SSL",
                "sasl.enabled.mechanisms=" + MECHANISM,
                "sasl.mechanism.inter.broker.protocol=" + MECHANISM,
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=" + jaas("admin"),
                "ssl.keystore.location=" + dir.resolve("broker.p12"),
                "ssl.keystore.type=PKCS12",
                "ssl.keystore.password=" + STORE_PASSWORD,
                "ssl.key.password=" + STORE_PASSWORD,
                // the broker is its own client on the inter-broker listener
                "ssl.truststore.location=" + dir.resolve("truststore.p12"),
                "ssl.truststore.type=PKCS12",
                "ssl.truststore.password=" + STORE_PASSWORD,
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found=false",
                // ANONYMOUS is the broker itself on the loopback controller listener (plaintext, combined mode)
                "super.users=User:admin;User:ANONYMOUS",
                "log.dirs=" + dir.resolve("logs"),
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "group.min.session.timeout.ms=1000",
                "auto.create.topics.enable=false",
                "message.max.bytes=16777216", "") + "\n");
        final List<String> format = new ArrayList<>(java(libs, dir));
        format.addAll(List.of("kafka.tools.StorageTool", "format", "--standalone", "-t", Uuid.randomUuid().toString(),
                "-c", config.toString()));
        for (final String u : users) {
            format.addAll(List.of("--add-scram", MECHANISM + "=[name=" + u + ",password=" + password(u) + "]"));
        }
        final ExternalTool.Output formatted = ExternalTool.run(dir, 120, format.toArray(String[]::new));
        if (formatted.exitCode() != 0) {
            throw new IllegalStateException("formatting the secured broker failed: " + formatted.text());
        }
        final List<String> run = new ArrayList<>(java(libs, dir));
        run.addAll(List.of("kafka.Kafka", config.toString()));
        final Process p = new ProcessBuilder(run).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("broker.log").toFile()).start();
        final SecuredBroker broker = new SecuredBroker(dir, port, p);
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!accepts(port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                broker.close();
                throw new IllegalStateException("the secured broker did not start:\n" + broker.log());
            }
            Thread.sleep(200);
        }
        return broker;
    }

    private static List<String> java(final Path libs, final Path dir) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms64m", "-Xmx384m",
                "-Dlog4j2.configurationFile=" + DeployFiles.resolve("kafka/log4j2.properties"),
                "-Djava.io.tmpdir=" + dir, "-cp", libs + "/*");
    }

    /** A self-signed certificate for 127.0.0.1 in the broker's key store and the clients' trust store. */
    private static void certificates(final Path dir) throws IOException, InterruptedException {
        final String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        final String[][] steps = {
            {keytool, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", "broker.p12", "-storetype", "PKCS12",
                "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD},
            {keytool, "-exportcert", "-rfc", "-alias", "broker", "-keystore", "broker.p12", "-storepass", STORE_PASSWORD,
                "-file", "broker.pem"},
            {keytool, "-importcert", "-noprompt", "-alias", "broker", "-file", "broker.pem", "-keystore", "truststore.p12",
                "-storetype", "PKCS12", "-storepass", STORE_PASSWORD},
        };
        for (final String[] step : steps) {
            final ExternalTool.Output out = ExternalTool.run(dir, 60, step);
            if (out.exitCode() != 0) {
                throw new IllegalStateException(String.join(" ", step) + " failed: " + out.text());
            }
        }
    }

    private static String password(final String user) {
        return user + "-secret";
    }

    private static String jaas(final String user) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password(user) + "\";";
    }

    private static boolean accepts(final int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (final IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** @return bootstrap servers */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /**
     * @param user a SCRAM user
     * @return the Kafka client settings that user connects with (one file serves scorer, trainer and tools)
     */
    public Map<String, String> clientSettings(final String user) {
        final Map<String, String> m = new TreeMap<>();
        m.put("bootstrap.servers", bootstrapServers());
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", MECHANISM);
        m.put("sasl.jaas.config", jaas(user));
        m.put("ssl.truststore.location", dir.resolve("truststore.p12").toString());
        m.put("ssl.truststore.type", "PKCS12");
        m.put("ssl.truststore.password", STORE_PASSWORD);
        return m;
    }

    /**
     * @param user  a SCRAM user
     * @param extra more settings (nelbo.* keys for the scorer or trainer)
     * @return a properties file with the user's client settings and the extra ones
     */
    public Path clientConfig(final String user, final Map<String, String> extra) throws IOException {
        final Properties p = new Properties();
        p.putAll(clientSettings(user));
        p.putAll(extra);
        final Path file = dir.resolve(user + "-" + Integer.toHexString(extra.hashCode()) + ".properties");
        try (var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(w, user);
        }
        return file;
    }

    /** @return an admin client of the super user (close it) */
    public Admin admin() {
        final Map<String, Object> m = new TreeMap<>(clientSettings("admin"));
        return Admin.create(m);
    }

    /** @return the broker's log so far */
    public String log() {
        try {
            return Files.readString(dir.resolve("broker.log"));
        } catch (final IOException e) {
            return "(no broker log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
