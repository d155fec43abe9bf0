"""`chainrule.utils.data.distributed.DistributedSampler`, PyTorch's import path (defined in
`chainrule.distributed.sampler`)."""
from ...distributed.sampler import DistributedSampler

__all__ = ["DistributedSampler"]
