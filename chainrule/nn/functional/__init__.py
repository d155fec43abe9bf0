"""`chainrule.nn.functional` (import it as F): the functional form of every layer, loss and activation."""
from ...ops import (elu, gelu, leaky_relu, log_softmax, pad, relu, sigmoid, silu, softmax, softplus, tanh)
