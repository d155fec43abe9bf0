"""Training, evaluation and their metrics."""
from .loop import Callback, History, evaluate, fit
from .metrics import (accuracy, confusion_matrix, mean_absolute_error, mean_squared_error, precision_recall_f1,
                      r2_score, top_k_accuracy)
from .plots import plot_confusion_matrix, plot_history
