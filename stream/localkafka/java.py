"""The Java runtime the local broker runs on: finding it, and the options it runs with."""

from __future__ import annotations

import re
import shutil
import subprocess

from stream.localkafka.errors import LocalKafkaError

__all__ = ["JVM_OPTIONS", "MIN_JAVA", "find_java"]

MIN_JAVA = 17

# The JVM options of Kafka's own start script (kafka-run-class.sh); the broker also fixes
# its heap at the maximum, as the script's default heap options do. With a 128 MB initial
# heap the broker of a 10k events/s benchmark ran 31 collections in 10 s (~0.6 s of
# pauses), all started by humongous allocations (objects of 0.5 MB or more); with these,
# 4 (55 ms).
JVM_OPTIONS = (
    "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15", "-Djava.awt.headless=true",
)  # fmt: skip


def find_java() -> str:
    """The ``java`` on PATH, checked to be Java ``MIN_JAVA`` or later."""
    java = shutil.which("java")
    if java is None:
        raise LocalKafkaError(
            f"Java {MIN_JAVA}+ is needed to run Kafka and 'java' is not on PATH "
            "(Debian: apt-get install openjdk-17-jre-headless)"
        )
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [java, "-version"], capture_output=True, text=True, check=False
    )
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        raise LocalKafkaError(f"could not tell the Java version from '{java} -version'")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise LocalKafkaError(f"Kafka 4 needs Java {MIN_JAVA}+, found Java {major} at {java}")
    return java
