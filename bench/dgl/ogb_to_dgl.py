#!/usr/bin/env python3
"""Converts a dataset in the OGB node-property raw layout (datasets/FORMAT.md)
into a 1-partition DGL distributed graph, the input of DGL's
examples/pytorch/graphsage/dist/train_dist.py --standalone.

The graph is built as DGL's own example builds ogbn-products
(load_graph.py: load_ogb, then partition_graph.py): edges as OGB reads them
(with add_inverse_edge=True every row (u,v) gives (u,v) and (v,u), row by
row), ndata "features" (float32), "labels" (int64), and boolean
"train_mask" / "val_mask" / "test_mask" from the split's files; then
dgl.distributed.partition_graph into 1 part (no METIS call, node IDs kept).

  ogb_to_dgl.py --dataset_dir datasets/amazon_computers --out WORK/dgl/amazon_computers \
      [--graph_name NAME] [--split NAME] [--master_csv FILE]

Writes OUT/NAME.json (the partition config for train_dist.py --part_config)
and OUT/part0/. Needs the python that has DGL (bench/dgl/BUILD.md).
"""
import argparse
import csv
import gzip
import os
import sys


def fail(message):
    print("ogb_to_dgl: " + message, file=sys.stderr)
    sys.exit(1)


def meta_row(master_csv, folder):
    """The master.csv column of the dataset in FOLDER (matched by download_name
    or by the meta name), as a dict key -> value."""
    if not os.path.isfile(master_csv):
        fail("no %s (the OGB meta table beside the dataset folder; give --master_csv, "
             "or --split and --add_inverse_edge)" % master_csv)
    with open(master_csv, newline="") as f:
        rows = list(csv.reader(f))
    names, table = rows[0][1:], {row[0]: row[1:] for row in rows[1:] if row}
    base = os.path.basename(os.path.normpath(folder))
    for i, name in enumerate(names):
        download = table.get("download_name", [""] * len(names))[i]
        if base in (download, name, name.replace("-", "_")):
            return {key: values[i] for key, values in table.items()}
    fail("%s has no column for the dataset folder '%s' (columns: %s)"
         % (master_csv, base, ", ".join(names)))


def read_csv_gz(path, dtype, np, columns=None):
    """A headerless .csv.gz as a numpy array (1-D when the file has one column)."""
    if not os.path.isfile(path):
        fail("missing %s (OGB raw layout: datasets/FORMAT.md)" % path)
    try:
        with gzip.open(path, "rt") as f:
            array = np.loadtxt(f, delimiter=",", dtype=dtype, ndmin=2)
    except (OSError, ValueError) as error:
        fail("cannot read %s: %s" % (path, error))
    if columns is not None and array.shape[1] != columns:
        fail("%s: expected %d column(s) per row, found %d" % (path, columns, array.shape[1]))
    return array[:, 0] if array.shape[1] == 1 else array


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset_dir", required=True, help="a folder in the OGB raw layout")
    parser.add_argument("--out", required=True, help="output folder for the DGL partition")
    parser.add_argument("--graph_name", default="", help="default: the folder's name")
    parser.add_argument("--split", default="", help="split folder (default: master.csv's)")
    parser.add_argument("--master_csv", default="", help="default: master.csv beside the folder")
    parser.add_argument("--add_inverse_edge", choices=["True", "False"], default="",
                        help="default: master.csv's")
    args = parser.parse_args()

    folder = os.path.normpath(args.dataset_dir)
    if not os.path.isdir(os.path.join(folder, "raw")):
        fail("%s is not a dataset in the OGB raw layout (no raw/ folder; datasets/FORMAT.md)"
             % folder)
    split, inverse = args.split, args.add_inverse_edge
    if not split or not inverse:
        meta = meta_row(args.master_csv or os.path.join(os.path.dirname(folder), "master.csv"),
                        folder)
        split = split or meta["split"]
        inverse = inverse or meta["add_inverse_edge"]
    graph_name = args.graph_name or os.path.basename(folder)

    try:
        import numpy as np
        import torch
        import dgl
    except ImportError as error:
        fail("cannot import %s with %s: run this with the python that has DGL 1.1.3 "
             "(bench/dgl/BUILD.md says how to build one)" % (error.name, sys.executable))

    raw = os.path.join(folder, "raw")
    num_nodes = int(read_csv_gz(os.path.join(raw, "num-node-list.csv.gz"), np.int64, np, 1)[0])
    edges = read_csv_gz(os.path.join(raw, "edge.csv.gz"), np.int64, np, 2).reshape(-1, 2)
    if edges.size and (edges.min() < 0 or edges.max() >= num_nodes):
        fail("%s/edge.csv.gz names a node outside 0..%d" % (raw, num_nodes - 1))
    if inverse == "True":  # (u,v) -> (u,v),(v,u), row by row, as OGB's reader does
        edges = np.stack([edges, edges[:, ::-1]], axis=1).reshape(-1, 2)
    features = read_csv_gz(os.path.join(raw, "node-feat.csv.gz"), np.float32, np)
    labels = read_csv_gz(os.path.join(raw, "node-label.csv.gz"), np.int64, np, 1)
    if features.ndim == 1:
        features = features.reshape(-1, 1)
    for name, array in (("node-feat", features), ("node-label", labels)):
        if array.shape[0] != num_nodes:
            fail("%s/%s.csv.gz has %d rows, num-node-list says %d nodes"
                 % (raw, name, array.shape[0], num_nodes))

    g = dgl.graph((torch.from_numpy(edges[:, 0].copy()), torch.from_numpy(edges[:, 1].copy())),
                  num_nodes=num_nodes)
    g.ndata["features"] = torch.from_numpy(features)
    g.ndata["labels"] = torch.from_numpy(labels)
    split_dir = os.path.join(folder, "split", split)
    for mask_name, file_name in (("train_mask", "train"), ("val_mask", "valid"),
                                 ("test_mask", "test")):
        ids = read_csv_gz(os.path.join(split_dir, file_name + ".csv.gz"), np.int64, np, 1)
        if ids.size and (ids.min() < 0 or ids.max() >= num_nodes):
            fail("%s/%s.csv.gz names a node outside 0..%d" % (split_dir, file_name, num_nodes - 1))
        mask = torch.zeros((num_nodes,), dtype=torch.bool)
        mask[torch.from_numpy(ids)] = True
        g.ndata[mask_name] = mask
    print("%s: %d nodes, %d directed edges, %d features, %d classes, split %s "
          "(train %d / valid %d / test %d)" % (
              graph_name, g.num_nodes(), g.num_edges(), features.shape[1],
              int(labels.max()) + 1, split, int(g.ndata["train_mask"].sum()),
              int(g.ndata["val_mask"].sum()), int(g.ndata["test_mask"].sum())))
    dgl.distributed.partition_graph(g, graph_name, 1, args.out)
    config = os.path.join(args.out, graph_name + ".json")
    if not os.path.isfile(config):
        fail("dgl.distributed.partition_graph wrote no %s" % config)
    print(config)


if __name__ == "__main__":
    main()
