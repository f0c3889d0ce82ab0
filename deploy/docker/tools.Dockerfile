# nelbo-tools image: topic setup, event generator, JSONL replay. Build context: the repository root, after
# `mvn -B -DskipTests package`:
#   docker build -f deploy/docker/tools.Dockerfile -t nelbo/tools:0.1.0 .
FROM eclipse-temurin:17-jre-jammy

RUN groupadd --system --gid 10001 nelbo && useradd --system --uid 10001 --gid nelbo nelbo && mkdir -p /opt/nelbo
COPY deploy/target/nelbo-tools.jar /opt/nelbo/nelbo-tools.jar
USER 10001
# the Kafka client unpacks its lz4/zstd natives into java.io.tmpdir: a read-only root needs a volume there
ENV JAVA_TOOL_OPTIONS="-Djava.io.tmpdir=/tmp"
ENTRYPOINT ["java", "-jar", "/opt/nelbo/nelbo-tools.jar"]
CMD ["--help"]
