"""Data work before and around training: preparation (cleaning, splitting, scaling, encoding),
CSV and image loading, standard datasets, and the PyTorch-style datasets and loaders of
`chainrule.utils.data`, re-exported here.

    from chainrule import data
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = data.StandardScaler().fit(X_train)          # training data only
    loader = data.DataLoader(data.TensorDataset(...), batch_size=64, shuffle=True)
"""
from ..utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                          RandomSampler, Sampler, SequentialSampler, StackDataset, Subset, SubsetRandomSampler,
                          TensorDataset, WeightedRandomSampler, WorkerInfo, default_collate, default_convert,
                          get_worker_info, random_split)
from . import datasets, transforms
from .checks import check_finite, check_labels
from .cleaning import DataReport, SimpleImputer, data_report, drop_duplicates, drop_missing, duplicate_rows
from .encoding import LabelEncoder, OneHotEncoder
from .fitted import NotFittedError
from .idx import IDXError, read_idx, write_idx
from .images import ImageFolder, load_image
from .scalers import MinMaxScaler, StandardScaler
from .split import train_test_split, train_val_test_split
from .table import Table, as_table
from .tabular import read_csv

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "DataReport", "Dataset", "IDXError",
           "ImageFolder", "IterableDataset", "LabelEncoder", "MinMaxScaler", "NotFittedError", "OneHotEncoder",
           "RandomSampler", "Sampler", "SequentialSampler", "SimpleImputer", "StackDataset", "StandardScaler",
           "Subset", "SubsetRandomSampler", "Table", "TensorDataset", "WeightedRandomSampler", "WorkerInfo",
           "as_table", "check_finite", "check_labels", "data_report", "datasets", "default_collate",
           "default_convert", "drop_duplicates", "drop_missing", "duplicate_rows", "get_worker_info",
           "load_image", "random_split", "read_csv", "read_idx", "train_test_split", "train_val_test_split",
           "transforms", "write_idx"]
