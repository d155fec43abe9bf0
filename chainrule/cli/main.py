"""The `chainrule` command: train, evaluate, predict, serve, export.

    chainrule train mnist-mlp --data ../mnist --out mnist.bundle
    chainrule evaluate mnist.bundle ../mnist
    chainrule predict mnist.bundle digit.png rows.csv batch.npy [--json]
    chainrule serve mnist.bundle --port 8000
    chainrule export mnist.bundle mnist.onnx      (evaluate / predict / serve take the .onnx file too)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, List, Optional, Sequence

from .examples import EXAMPLES

EXIT_FAILURE = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule", description="Train, evaluate and deploy chainrule models. "
                                     "A model travels as one bundle file: architecture, weights, preprocessing, "
                                     "class names and metrics.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train a built-in example or a JSON config into a bundle",
                                description="Train a built-in example (by name) or the JSON config given with "
                                "--config, then save the model bundle. Examples: " +
                                "; ".join(f"{k}: {v['description']}" for k, v in EXAMPLES.items()))
    train.add_argument("example", nargs="?", choices=sorted(EXAMPLES), metavar="EXAMPLE",
                       help=f"a built-in example: {', '.join(EXAMPLES)}")
    train.add_argument("--config", help="a JSON training config (see --print-config for the format)")
    train.add_argument("--data", help="the data folder (MNIST IDX files) or CSV file, overriding the config's")
    train.add_argument("--epochs", type=int, help="number of epochs, overriding the config's")
    train.add_argument("--limit", type=int, help="train on the first N samples (image data)")
    train.add_argument("--download", action="store_true", help="fetch missing MNIST / Fashion-MNIST files")
    train.add_argument("--seed", type=int, help="random seed, overriding the config's")
    train.add_argument("--out", "-o", default="model.bundle", help="where to write the bundle (default: %(default)s)")
    train.add_argument("--print-config", action="store_true", help="print the example's config as JSON and exit")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress output")

    evaluate = commands.add_parser("evaluate", help="metrics of a bundle on labelled data",
                                   description="Evaluate BUNDLE on DATA: an MNIST folder (IDX files), a folder "
                                   "with one sub-folder of images per class, a CSV file with a target column, or "
                                   "an .npz file with arrays x and y.")
    evaluate.add_argument("bundle", metavar="BUNDLE")
    evaluate.add_argument("data", metavar="DATA")
    evaluate.add_argument("--split", choices=("test", "train"), default="test", help="MNIST split (default: test)")
    evaluate.add_argument("--target", help="the label column of a CSV file (default: the one used in training)")
    evaluate.add_argument("--limit", type=int, help="evaluate the first N samples only")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")

    predict = commands.add_parser("predict", help="predict raw inputs: images, CSV rows, .npy arrays",
                                  description="Run BUNDLE on each INPUT: an image (PNG, JPEG, ...; needs "
                                  "Pillow), a CSV file (one sample per row) or a .npy array (one sample, or a "
                                  "batch along the first axis). Prints the classes with their probabilities.")
    predict.add_argument("bundle", metavar="BUNDLE")
    predict.add_argument("inputs", nargs="+", metavar="INPUT")
    predict.add_argument("--top", type=int, default=3, help="classes to show per input (default: %(default)s)")
    predict.add_argument("--json", action="store_true", help="print the predictions as JSON")

    serve = commands.add_parser("serve", help="serve a bundle over HTTP with a web page",
                                description="Serve BUNDLE: POST /predict (JSON or an image), GET /health, "
                                "GET /info, and a web page at / to upload an image or draw a digit.")
    serve.add_argument("bundle", metavar="BUNDLE")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: %(default)s; 0 picks a free one)")
    serve.add_argument("--max-body", type=int, default=None, help="largest request body in bytes")

    export = commands.add_parser("export", help="export a bundle's network to ONNX",
                                 description="Write BUNDLE's network as an ONNX file with a dynamic batch size, "
                                 "keeping the bundle's preprocessing and class names in the file's metadata, "
                                 "so evaluate, predict and serve run it in onnxruntime on raw inputs. "
                                 "Needs the onnx package (pip install 'chainrule[onnx]').")
    export.add_argument("bundle", metavar="BUNDLE")
    export.add_argument("out", metavar="OUT.onnx")
    export.add_argument("--opset", type=int, default=None, help="ONNX opset version (default: the exporter's)")
    return parser


def _train(args: argparse.Namespace) -> int:
    from .examples import example
    from .training import load_config, train
    if (args.example is None) == (args.config is None):
        raise ValueError("give either an EXAMPLE name or --config FILE")
    config = example(args.example) if args.example else load_config(args.config)
    data = config.setdefault("data", {})
    if args.data is not None:
        data["path" if data.get("kind") == "csv" else "root"] = args.data
    for key, value in (("epochs", args.epochs), ("seed", args.seed)):
        if value is not None:
            config[key] = value
    if args.limit is not None:
        data["limit"] = args.limit
    if args.download:
        data["download"] = True
    if args.print_config:
        print(json.dumps(config, indent=2))
        return 0
    bundle = train(config, args.out, progress=not args.quiet, name=args.example)
    shown = ", ".join(f"{k} {v:.4g}" for k, v in bundle.metadata["metrics"].items())
    print(f"saved {args.out} ({shown})")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from ..io.bundle import load_bundle
    from .evaluation import metrics
    from .inputs import read_labelled
    bundle = load_bundle(args.bundle)
    x, y = read_labelled(bundle, args.data, args.split, args.target, args.limit)
    result = metrics(bundle, x, y)
    print(json.dumps(result, indent=2) if args.json else
          "\n".join(f"{k:>14}  {v:.4f}" if isinstance(v, float) else f"{k:>14}  {v}" for k, v in result.items()))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from ..io.bundle import load_bundle
    from .inputs import read_inputs
    bundle = load_bundle(args.bundle)
    rows: List[Any] = []
    for path in args.inputs:
        for name, batch in read_inputs(bundle, path):
            rows.append({"input": name, **bundle.results(batch, top=args.top)[0]})
    if args.json:
        print(json.dumps(rows, indent=2))
    for row in rows if not args.json else []:
        if "values" in row:
            print(f"{row['input']}: {', '.join(f'{v:.6g}' for v in row['values'])}")
        else:
            shown = "  ".join(f"{p['label']} ({p['probability']:.1%})" for p in row["probabilities"])
            print(f"{row['input']}: {shown}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from ..io.bundle import load_bundle
    from ..serve.server import serve
    serve(load_bundle(args.bundle), args.host, args.port, name=os.path.basename(args.bundle),
          max_body=args.max_body)
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..io.bundle import load_bundle
    if not args.out.endswith(".onnx"):
        raise ValueError(f"the output file must end in .onnx, got {args.out!r}")
    load_bundle(args.bundle).export_onnx(args.out, args.opset)
    print(f"saved {args.out}")
    return 0


COMMANDS = {"train": _train, "evaluate": _evaluate, "predict": _predict, "serve": _serve, "export": _export}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        from .. import __version__
        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command](args)
    except (ValueError, KeyError, OSError, ImportError, RuntimeError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"chainrule {args.command}: error: {message}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
