"""chainrule: backpropagation and the practical pipeline around it, with PyTorch's API on NumPy."""
from . import autograd, backends, cuda
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .dtypes import (bool, double, float, float16, float32, float64, get_default_dtype, half, int, int8, int16,
                     int32, int64, long, set_default_dtype, short, uint8)
from .ops import (abs, absolute, acos, add, addcdiv, addcmul, addmm, all, allclose, amax, amin, any, arccos,
                  arcsin, arctan, arctan2, argmax, argmin, argsort, asin, atan, atan2, baddbmm, bitwise_and,
                  bitwise_not, bitwise_or, bitwise_xor, bmm, broadcast_tensors, broadcast_to, cat, ceil, chunk,
                  clamp, clamp_max, clamp_min, clip, clone, concat, concatenate, cos, cosh, count_nonzero, cumsum,
                  diag, diagonal, div, divide, dot, dstack, einsum, elu, eq, equal, erf, exp, expand, expm1, fix,
                  flatten, flip, floor, floor_divide, fmod, frac, gather, ge, gelu, ger, greater, gt, hstack,
                  hypot, index_add, index_fill, index_select, isclose, isfinite, isinf, isnan, kron, le,
                  leaky_relu, lerp, less, log, log10, log1p, log2, log_softmax, logaddexp, logical_and,
                  logical_not, logical_or, logical_xor, logit, logsumexp, lt, masked_fill, masked_select, matmul,
                  max, maximum, mean, meshgrid, min, minimum, mm, moveaxis, movedim, mul, multiply, mv, nan_to_num,
                  narrow, ne, neg, negative, nonzero, norm, outer, pad, permute, pow, prod, ravel, relu, remainder,
                  repeat, repeat_interleave, reshape, roll, round, row_stack, rsqrt, scatter_add, sigmoid, sign,
                  silu, sin, sinh, softmax, softplus, sort, split, sqrt, square, squeeze, stack, std, std_mean,
                  sub, subtract, sum, swapaxes, swapdims, tan, tanh, tensor_split, tile, topk, trace, transpose,
                  tril, triu, true_divide, trunc, unbind, unflatten, unique, unsqueeze, var, var_mean, vstack,
                  where)
from .ops.creation import (arange, as_tensor, bernoulli, empty, empty_like, eye, from_dlpack, from_numpy, full,
                           full_like, linspace, logspace, multinomial, normal, ones, ones_like, rand, rand_like,
                           randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like)
from .ops.formatting import set_printoptions
from .ops.random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .device import device
from .tensor import Tensor

__version__ = "0.1.0"

backends.malloc.tune_at_import()
get_num_threads, set_num_threads = backends.threads.get_num_threads, backends.threads.set_num_threads


def is_tensor(obj: object) -> "bool":
    """True for chainrule tensors."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> "int":
    return input.numel()
from .io import load, save  # noqa: E402
from . import nn, optim, utils  # noqa: E402  (as `import torch` gives torch.nn, torch.optim, torch.utils)
from .compiled_step import compile  # noqa: E402
