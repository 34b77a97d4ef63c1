"""The HPC cluster a synthetic campaign runs on: nodes with GPUs, and jobs placed on them."""

from __future__ import annotations

from dataclasses import dataclass

from provml.errors import CaptureError

# The paper's evaluation cluster.
DEFAULT_NODES = 393
DEFAULT_GPUS = 946


@dataclass(frozen=True)
class Rank:
    """One process of a distributed job: its rank, node, GPU on that node and local rank."""

    rank: int
    host: str
    gpu: int
    local_rank: int


class Cluster:
    """`nodes` nodes sharing `gpus` GPUs as evenly as possible (the first nodes get one more);
    jobs take consecutive GPUs, wrapping around the cluster, as a packing scheduler would."""

    def __init__(self, nodes: int, gpus: int) -> None:
        """Raises CaptureError unless 1 <= nodes <= gpus."""
        if nodes < 1 or gpus < nodes:
            raise CaptureError(
                f"a cluster needs at least one node and a GPU per node; got {nodes} nodes, "
                f"{gpus} GPUs"
            )
        self.nodes, self.gpus = nodes, gpus
        per_node, extra = divmod(gpus, nodes)
        # The GPU slots in order: (node index, GPU index on the node).
        self.slots = [
            (node, gpu) for node in range(nodes) for gpu in range(per_node + (node < extra))
        ]
        self.cursor = 0

    @staticmethod
    def host(node: int) -> str:
        """The host name of node `node`."""
        return f"gpu-node{node:04d}"

    def place(self, world_size: int) -> list[Rank]:
        """The ranks of a job of `world_size` GPUs, on the next free slots."""
        ranks = []
        local: dict[int, int] = {}
        for rank in range(min(world_size, self.gpus)):
            node, gpu = self.slots[self.cursor]
            self.cursor = (self.cursor + 1) % len(self.slots)
            local[node] = local.get(node, -1) + 1
            ranks.append(Rank(rank, self.host(node), gpu, local[node]))
        return ranks
