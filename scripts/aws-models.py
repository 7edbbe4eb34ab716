#!/usr/bin/env python3
"""Regenerates the AWS service models embedded in expressway
(`models/aws/<service>.json.gz`) from botocore's JSON service models.

botocore (Apache-2.0, https://github.com/boto/botocore) ships one model per
service as `botocore/data/<service>/<api-version>/service-2.json[.gz]`. This
script keeps the newest version of each service listed below (or named on the
command line), strips what the generic `aws-sdk:*` Task integration does not
read (documentation, examples, validation constraints), writes it gzipped,
copies botocore's LICENSE and NOTICE next to it, and regenerates
`src/tasks/aws_sdk/embedded.rs`, the list the binary embeds.

Usage:
    pip install botocore          # any recent version
    python3 scripts/aws-models.py                 # the curated set
    python3 scripts/aws-models.py appsync mq      # the curated set plus these
    python3 scripts/aws-models.py --out DIR xray  # only these, into DIR (for --aws-models DIR)
"""

import argparse
import gzip
import json
import os
import shutil
import sys

# The curated set: the services issue 15 lists (the most used in published
# state machines, plus the ones Step Functions users reach for first).
CURATED = [
    "apigateway", "athena", "batch", "bedrock", "bedrock-runtime", "cloudwatch",
    "codebuild", "comprehend", "dynamodb", "ec2", "ecs", "emr", "events",
    "firehose", "forecast", "glue", "kinesis", "kms", "lambda", "logs",
    "organizations", "rekognition", "s3", "sagemaker", "secretsmanager", "ses",
    "sesv2", "sns", "sqs", "ssm", "stepfunctions", "sts", "textract",
    "transcribe", "translate",
]

METADATA_KEYS = {
    "apiVersion", "awsQueryCompatible", "endpointPrefix", "globalEndpoint",
    "jsonVersion", "protocol", "protocols", "serviceId", "signatureVersion",
    "signingName", "targetPrefix", "uid",
}
OPERATION_KEYS = {"name", "http", "input", "output", "errors", "endpoint", "httpChecksumRequired", "httpChecksum"}
SHAPE_KEYS = {
    "type", "members", "member", "key", "value", "payload", "flattened",
    "locationName", "timestampFormat", "streaming", "exception", "error",
    "document", "union", "xmlNamespace", "eventstream", "fault",
}
REF_KEYS = {
    "shape", "location", "locationName", "queryName", "flattened",
    "xmlNamespace", "xmlAttribute", "streaming", "jsonvalue", "timestampFormat",
    "hostLabel", "idempotencyToken", "resultWrapper", "eventpayload", "eventheader",
}


def ref(r):
    return {k: v for k, v in r.items() if k in REF_KEYS}


def strip(model):
    out = {"metadata": {k: v for k, v in model["metadata"].items() if k in METADATA_KEYS}}
    ops = {}
    for name, op in model["operations"].items():
        o = {k: v for k, v in op.items() if k in OPERATION_KEYS}
        for k in ("input", "output"):
            if k in o:
                o[k] = ref(o[k])
        if "httpChecksum" in o:
            # Only whether a checksum is required matters here.
            o["httpChecksum"] = {
                k: v for k, v in o["httpChecksum"].items() if k == "requestChecksumRequired"
            }
        if "errors" in o:
            o["errors"] = [e["shape"] for e in o["errors"]]
        ops[name] = o
    out["operations"] = ops
    shapes = {}
    for name, s in model["shapes"].items():
        t = {k: v for k, v in s.items() if k in SHAPE_KEYS}
        if "members" in t:
            t["members"] = {m: ref(r) for m, r in t["members"].items()}
        for k in ("member", "key", "value"):
            if k in t:
                t[k] = ref(t[k])
        shapes[name] = t
    out["shapes"] = shapes
    return out


def newest(data, service):
    base = os.path.join(data, service)
    versions = sorted(v for v in os.listdir(base) if os.path.isdir(os.path.join(base, v)))
    for v in reversed(versions):
        for f in ("service-2.json.gz", "service-2.json"):
            p = os.path.join(base, v, f)
            if os.path.exists(p):
                return p
    raise SystemExit(f"no service-2.json for {service} in {base}")


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def write_embedded(root, names):
    lines = [
        "//! The AWS service models embedded in the binary: botocore's JSON models,",
        "//! stripped and gzipped by `scripts/aws-models.py` (generated; do not edit).",
        "",
        "/// `(botocore service name, the name a Resource uses (its service id in",
        "/// lower case, letters and digits), gzipped stripped service-2.json)`.",
        "pub(super) const MODELS: &[(&str, &str, &[u8])] = &[",
    ]
    for n, key in names:
        lines.append(f'    (')
        lines.append(f'        "{n}",')
        lines.append(f'        "{key}",')
        lines.append(f'        include_bytes!("../../../models/aws/{n}.json.gz"),')
        lines.append(f'    ),')
    lines.append("];")
    with open(os.path.join(root, "src/tasks/aws_sdk/embedded.rs"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("services", nargs="*", help="botocore service names to add")
    ap.add_argument("--out", help="write only the named services into this directory")
    args = ap.parse_args()
    import botocore

    bdir = os.path.dirname(botocore.__file__)
    data = os.path.join(bdir, "data")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = args.out or os.path.join(root, "models", "aws")
    names = sorted(set(args.services if args.out else CURATED + args.services))
    os.makedirs(out, exist_ok=True)
    keys = []
    for name in names:
        model = strip(load(newest(data, name)))
        sid = model["metadata"]["serviceId"]
        keys.append((name, "".join(c.lower() for c in sid if c.isascii() and c.isalnum())))
        raw = json.dumps(model, separators=(",", ":"), sort_keys=True).encode()
        with open(os.path.join(out, f"{name}.json.gz"), "wb") as f:
            # mtime=0: the same input gives the same bytes.
            with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as gz:
                gz.write(raw)
    dist = [d for d in os.listdir(os.path.dirname(bdir)) if d.startswith("botocore-") and d.endswith(".dist-info")]
    for d in dist:
        for f in ("LICENSE.txt", "NOTICE"):
            p = os.path.join(os.path.dirname(bdir), d, f)
            if os.path.exists(p):
                shutil.copy(p, os.path.join(out, "BOTOCORE-" + f.replace(".txt", "")))
    with open(os.path.join(out, "VERSION"), "w") as f:
        f.write(f"botocore {botocore.__version__}\n")
    if not args.out:
        write_embedded(root, keys)
    print(f"{len(names)} models from botocore {botocore.__version__} -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
