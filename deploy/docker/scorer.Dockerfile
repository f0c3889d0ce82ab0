# nelbo scorer image. Build context: the repository root, after `mvn -B -DskipTests package`:
#   docker build -f deploy/docker/scorer.Dockerfile -t nelbo/scorer:0.1.0 .
# glibc base (not Alpine): ONNX Runtime's native library needs it.
FROM eclipse-temurin:17-jre-jammy

RUN groupadd --system --gid 10001 nelbo && useradd --system --uid 10001 --gid nelbo --home-dir /var/lib/nelbo nelbo \
    && mkdir -p /opt/nelbo /etc/nelbo /var/lib/nelbo/state /var/lib/nelbo/tmp /models && chown -R nelbo:nelbo /var/lib/nelbo /models
COPY scorer/target/nelbo-scorer.jar /opt/nelbo/nelbo-scorer.jar

USER 10001
WORKDIR /var/lib/nelbo
# Native ONNX Runtime libraries are unpacked into java.io.tmpdir; keep it on a writable volume.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -Djava.io.tmpdir=/var/lib/nelbo/tmp"
EXPOSE 9464
ENTRYPOINT ["java", "-jar", "/opt/nelbo/nelbo-scorer.jar"]
CMD ["run", "--config", "/etc/nelbo/scorer.properties"]
