"""Resolve the Apache Kafka server jars from Maven Central with ``mvn``.

The jars land in Maven's usual local repository (``~/.m2``), so a second resolution is a
few seconds offline; the resulting classpath is kept in a small file in our cache.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from stream.localkafka.errors import LocalKafkaError

__all__ = ["resolve_classpath"]

# log4j-slf4j-impl binds Kafka's slf4j 1.7 API to the log4j2 core Kafka already ships.
_LOG4J_VERSION = "2.25.3"

_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>supplyrisk.local</groupId>
  <artifactId>kafka-server-classpath</artifactId>
  <version>{version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""


def resolve_classpath(version: str, cache_dir: Path) -> str:
    """Return the runtime classpath of Kafka ``version``, resolving it once with Maven."""
    work = cache_dir / f"kafka-{version}"
    classpath_file = work / "classpath.txt"
    if classpath_file.is_file():
        classpath = classpath_file.read_text(encoding="utf-8").strip()
        if classpath and all(Path(p).is_file() for p in classpath.split(":")):
            return classpath
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalKafkaError(
            "Maven ('mvn') is not on PATH: it is needed once to fetch the Kafka jars "
            "(Debian: apt-get install maven)"
        )
    work.mkdir(parents=True, exist_ok=True)
    (work / "pom.xml").write_text(
        _POM.format(version=version, log4j=_LOG4J_VERSION), encoding="utf-8"
    )
    command = [
        mvn, "-B", "-q", "-f", str(work / "pom.xml"),
        "dependency:build-classpath", "-Dmdep.includeScope=runtime",
        f"-Dmdep.outputFile={classpath_file}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0 or not classpath_file.is_file():
        detail = _last_error_line(result.stdout + result.stderr)
        raise LocalKafkaError(
            f"could not resolve Apache Kafka {version} jars from Maven Central: {detail}"
        )
    return classpath_file.read_text(encoding="utf-8").strip()


def _last_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line]
    return (errors or lines or ["mvn failed"])[0][:300]
