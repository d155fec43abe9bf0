"""`chainrule.nn.parallel.DistributedDataParallel`, where PyTorch users look for it (defined in
`chainrule.distributed`)."""
from ...distributed.ddp import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
