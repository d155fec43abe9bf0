"""`chainrule.nn.functional` (import it as F): the functional form of every layer, loss and activation."""
from ...ops import (elu, gelu, leaky_relu, log_softmax, pad, relu, sigmoid, silu, softmax, softplus, tanh)
from .activation import (elu, elu_, glu, hardsigmoid, hardswish, hardtanh, hardtanh_, leaky_relu, leaky_relu_,
                         log_softmax, logsigmoid, mish, prelu, relu, relu6, relu_, selu, silu, softmax, softmin,
                         softsign, threshold, threshold_)
from .dropout import dropout, dropout1d, dropout2d
from .linear import bilinear, linear
from .sparse import embedding, one_hot
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss, cross_entropy,
                   huber_loss, kl_div, l1_loss, margin_ranking_loss, mse_loss, nll_loss, smooth_l1_loss,
                   triplet_margin_loss)
from .recurrent import gru, gru_cell, lstm, lstm_cell, rnn_relu, rnn_relu_cell, rnn_tanh, rnn_tanh_cell
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, interpolate, max_pool1d,
                      max_pool2d)
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, normalize, rms_norm
from .pixelshuffle import pixel_shuffle, pixel_unshuffle
from .distance import cosine_similarity, pairwise_distance
from .attention import scaled_dot_product_attention
