"""Real Redis topologies on loopback: a 3-master Cluster, a master + replica + Sentinel, TLS."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trustme

from tests.redis_server import RedisServer, free_ports


@contextmanager
def redis_cluster(directory: Path) -> Iterator[list[RedisServer]]:
    """Three masters sharing the 16384 slots, joined by ``redis-cli --cluster create``."""
    ports = free_ports(6)  # three nodes and their cluster buses, none the same
    nodes = [
        RedisServer(
            directory / f"node{i}",
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "5000",
            "--cluster-port",  # (else port + 10000, which may be taken or out of range)
            str(ports[3 + i]),
        )
        for i in range(3)
    ]
    for node, port in zip(nodes, ports[:3], strict=True):
        node.port = port
    try:
        for node in nodes:
            node.start()
        cli = shutil.which("redis-cli")
        assert cli is not None, "redis-cli comes with redis-server (Debian's redis-tools)"
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        subprocess.run(
            [cli, "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        for node in nodes:  # each node logs this once it sees every slot served
            node.wait_for_line("Cluster state changed: ok")
        yield nodes
    finally:
        for node in nodes:
            node.stop()


class SentinelSetup:
    """A master, its replica and one Sentinel watching them as ``mymaster``."""

    def __init__(self, directory: Path) -> None:
        self.master = RedisServer(directory / "master")
        self.replica = RedisServer(directory / "replica")
        self.sentinel = RedisServer(directory / "sentinel", ready="+monitor master")
        self.directory = directory

    def start(self) -> SentinelSetup:
        self.master.start()
        self.replica.extra = ["--replicaof", "127.0.0.1", str(self.master.port)]
        self.replica.start()
        self.replica.wait_for_line("MASTER <-> REPLICA sync: Finished")
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "sentinel.conf"
        config.write_text(
            f"port {self.sentinel.port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"sentinel monitor mymaster 127.0.0.1 {self.master.port} 1\n"
            "sentinel down-after-milliseconds mymaster 2000\n"
            "sentinel failover-timeout mymaster 10000\n"
        )
        self.sentinel.launch([self.sentinel.binary, str(config), "--sentinel"])
        self.sentinel.wait_for_line("+slave slave")
        return self

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/mymaster/0"

    def fail_over(self) -> None:
        """Promote the replica (``SENTINEL FAILOVER``); returns once Sentinel switched."""
        import redis

        seen = len(self.sentinel.lines)
        with redis.Redis(port=self.sentinel.port) as sentinel:
            # Sentinel promotes a replica only once it has heard the replica's own INFO,
            # which it asks for on its own schedule and does not log: retry until then.
            for _ in range(300):
                try:
                    sentinel.execute_command("SENTINEL", "FAILOVER", "mymaster")
                    break
                except redis.ResponseError as exc:
                    if "NOGOODSLAVE" not in str(exc):
                        raise
                    threading.Event().wait(0.1)
        self.sentinel.wait_for_line("+switch-master", after=seen)

    def stop(self) -> None:
        for server in (self.sentinel, self.replica, self.master):
            server.stop()


def tls_redis(directory: Path, ca: trustme.CA) -> RedisServer:
    """A redis-server speaking only TLS, its certificate issued by ``ca`` for 127.0.0.1."""
    directory.mkdir(parents=True, exist_ok=True)
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = (directory / n for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    server = RedisServer(directory)
    server.extra = [
        "--port", "0", "--tls-port", str(server.port),
        "--tls-cert-file", str(cert_file), "--tls-key-file", str(key_file),
        "--tls-ca-cert-file", str(ca_file), "--tls-auth-clients", "no",
    ]  # fmt: skip
    server.ca_file = str(ca_file)  # type: ignore[attr-defined]
    return server
