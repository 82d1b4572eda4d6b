"""A single-node Apache Kafka (KRaft) on 127.0.0.1, run from the official jars.

Used by ``supplyrisk kafka-local``, ``supplyrisk run`` and the integration tests, so that
everything is built and tested against a real broker, never a mock.
"""

from stream.localkafka.broker import BrokerStatus, LocalKafka, LocalKafkaError

__all__ = ["BrokerStatus", "LocalKafka", "LocalKafkaError"]
