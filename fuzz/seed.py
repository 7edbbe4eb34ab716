#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/).

Seeds come from the bundled examples (examples/**/*.asl.json and their
input*.json) and the AWS-recorded conformance cases
(../shared/conformance/cases/*/{definition,input}.json): whole definitions,
and the paths, Intrinsic Function calls, JSONata expressions and Payload
Templates found in them, each paired with the case's input, in the formats
expressway::fuzzing documents (expression on the first line, input after).

Usage: python3 fuzz/seed.py [--out DIR] [--cases DIR]
Files are named by the SHA-1 of their content (as libFuzzer names them);
run `cargo fuzz cmin <target>` afterwards to keep only what adds coverage.
"""

import argparse
import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_SEED = 16 * 1024  # bytes; larger seeds slow every run of the target
TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector", "Assign")
PATH_FIELDS = ("InputPath", "OutputPath", "ResultPath", "ItemsPath", "Variable",
               "ErrorPath", "CausePath", "SecondsPath", "TimestampPath",
               "MaxConcurrencyPath", "ToleratedFailureCountPath",
               "ToleratedFailurePercentagePath")
PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:"
ROLE = "arn:aws:iam::123456789012:role/fuzz"


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Corpus:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, target, text):
        data = text.encode("utf-8")
        if len(data) > MAX_SEED:
            return
        folder = self.out / target
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        path = folder / name
        if not path.exists():
            path.write_bytes(data)
            self.count[target] = self.count.get(target, 0) + 1


def walk(value, found):
    """Collects (kind, text or value) pairs from a definition."""
    if isinstance(value, dict):
        for key, child in value.items():
            if key in TEMPLATE_FIELDS and isinstance(child, dict):
                found.append(("template", child))
            if isinstance(child, str):
                if child.startswith("{%") and child.endswith("%}"):
                    found.append(("jsonata", child[2:-2].strip()))
                elif child.startswith("States."):
                    found.append(("intrinsic", child))
                elif child.startswith("$") and (key.endswith(".$") or key in PATH_FIELDS):
                    found.append(("path", child))
            walk(child, found)
    elif isinstance(value, list):
        for child in value:
            walk(child, found)


def request(target, body):
    return "AWSStepFunctions." + target + "\n" + compact(body)


def add_case(corpus, name, definition_text, input_text):
    corpus.add("definition", definition_text)
    try:
        definition = json.loads(definition_text)
        document = json.loads(input_text)
    except ValueError:
        return
    found = []
    walk(definition, found)
    doc = compact(document)
    for kind, item in found:
        if kind == "template":
            item = compact(item)
        corpus.add(kind, item.replace("\n", " ") + "\n" + doc)
    machine = "m" + hashlib.sha1(name.encode()).hexdigest()[:8]
    create = {"name": machine, "definition": definition_text, "roleArn": ROLE,
              "type": "EXPRESS"}
    start = {"stateMachineArn": PREFIX + machine, "input": doc}
    corpus.add("api_request", request("CreateStateMachine", create) + "\n~~~\n"
               + request("StartSyncExecution", start))
    corpus.add("api_request", request("ValidateStateMachineDefinition",
                                      {"definition": definition_text}))


def handwritten(corpus):
    """One seed per operation the router decodes, and a few bad requests."""
    pas = '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
    arn = PREFIX + "m"
    create = request("CreateStateMachine", {"name": "m", "definition": pas,
                                            "roleArn": ROLE, "type": "EXPRESS"})
    for op, body in [
        ("DescribeStateMachine", {"stateMachineArn": arn}),
        ("ListStateMachines", {"maxResults": 2}),
        ("UpdateStateMachine", {"stateMachineArn": arn, "definition": pas}),
        ("DeleteStateMachine", {"stateMachineArn": arn}),
        ("StartExecution", {"stateMachineArn": arn, "name": "e", "input": "{}"}),
        ("DescribeExecution", {"executionArn": arn.replace("stateMachine", "execution") + ":e"}),
        ("StopExecution", {"executionArn": arn.replace("stateMachine", "execution") + ":e",
                           "error": "E", "cause": "c"}),
        ("ListExecutions", {"stateMachineArn": arn, "statusFilter": "RUNNING"}),
        ("SendTaskSuccess", {"taskToken": "x", "output": "{}"}),
        ("SendTaskFailure", {"taskToken": "x", "error": "E"}),
        ("SendTaskHeartbeat", {"taskToken": "x"}),
        ("CreateActivity", {"name": "a"}),
        ("ListActivities", {}),
        ("TestState", {"definition": '{"Type":"Pass","Result":1,"End":true}',
                       "roleArn": ROLE, "input": "{}", "inspectionLevel": "DEBUG"}),
        ("TagResource", {"resourceArn": arn, "tags": [{"key": "k", "value": "v"}]}),
        ("UntagResource", {"resourceArn": arn, "tagKeys": ["k"]}),
        ("ListTagsForResource", {"resourceArn": arn}),
    ]:
        corpus.add("api_request", create + "\n~~~\n" + request(op, body))
    corpus.add("api_request", "AWSStepFunctions.ListStateMachines\n")
    corpus.add("api_request", "AWSStepFunctions.CreateStateMachine\n{\"name\":1}")
    corpus.add("api_request", "Other.Op\n{}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "fuzz" / "corpus")
    parser.add_argument("--cases", type=pathlib.Path,
                        default=ROOT.parent / "shared" / "conformance" / "cases")
    args = parser.parse_args()
    corpus = Corpus(args.out)
    for definition in sorted((ROOT / "examples").rglob("*.asl.json")):
        inputs = sorted(definition.parent.glob("input*.json")) or [None]
        for input_file in inputs:
            input_text = input_file.read_text() if input_file else "{}"
            add_case(corpus, str(definition), definition.read_text(), input_text)
    for case in sorted(args.cases.iterdir()) if args.cases.is_dir() else []:
        definition, input_file = case / "definition.json", case / "input.json"
        if definition.is_file():
            input_text = input_file.read_text() if input_file.is_file() else "{}"
            add_case(corpus, case.name, definition.read_text(), input_text)
    handwritten(corpus)
    for target, n in sorted(corpus.count.items()):
        print(f"{target}: {n} new seeds")


if __name__ == "__main__":
    main()
