# nelbo trainer image (train, evaluate, retrain). Build context: the repository root, after
# `mvn -B -DskipTests package`:
#   docker build -f deploy/docker/trainer.Dockerfile -t nelbo/trainer:0.1.0 .
# glibc base (not Alpine): the bundled PyTorch natives need it.
FROM eclipse-temurin:17-jre-jammy

RUN groupadd --system --gid 10001 nelbo && useradd --system --uid 10001 --gid nelbo --home-dir /var/lib/nelbo nelbo \
    && mkdir -p /opt/nelbo /etc/nelbo /var/lib/nelbo/work /var/cache/djl /models \
    && chown -R nelbo:nelbo /var/lib/nelbo /var/cache/djl /models
COPY trainer/target/nelbo-trainer.jar /opt/nelbo/nelbo-trainer.jar

USER 10001
WORKDIR /var/lib/nelbo/work
# DJL unpacks the PyTorch natives bundled in the jar into DJL_CACHE_DIR (~430 MB, first run only) and must
# never try to download anything at run time.
ENV DJL_CACHE_DIR=/var/cache/djl \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Djava.io.tmpdir=/var/lib/nelbo/work"
ENTRYPOINT ["java", "-jar", "/opt/nelbo/nelbo-trainer.jar"]
CMD ["--help"]
