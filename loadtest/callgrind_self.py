#!/usr/bin/env python3
"""Self cost per function of a callgrind dump, divided by a count (requests or executions).

Usage: python3 loadtest/callgrind_self.py DUMP COUNT [TOP]
       python3 loadtest/callgrind_self.py --callers DUMP 'function substring' COUNT
Reads dumps written with or without --compress-strings (names given as "(id) name" once, then
"(id)"). The self cost of a function is the cost lines under its `fn=` that are not the inclusive
cost of a call (the line after `calls=`).
"""
import collections
import re
import sys

NAME = re.compile(r"^(c?fn)=(?:\((\d+)\))?\s*(.*)$")


def walk(path):
    """Yields (fn, cfn or None, cost) for every cost line of the dump."""
    names, fn, cfn, after_calls = {}, None, None, False
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = NAME.match(line)
            if m:
                kind, ident, text = m.groups()
                if ident is not None:
                    if text:
                        names[ident] = text
                    text = names.get(ident, ident)
                if kind == "fn":
                    fn = text
                else:
                    cfn = text
                continue
            if line.startswith("calls="):
                after_calls = True
                continue
            if line and (line[0].isdigit() or line[0] in "+-*"):
                parts = line.split()
                if len(parts) >= 2 and fn:
                    yield fn, cfn if after_calls else None, int(parts[1])
                after_calls = False


def main(argv):
    if argv and argv[0] == "--callers":
        dump, target, count = argv[1], argv[2], float(argv[3])
        callers = collections.Counter()
        for fn, cfn, cost in walk(dump):
            if cfn is not None and target in cfn:
                callers[(fn, cfn)] += cost
        for (fn, cfn), cost in callers.most_common(25):
            print(f"{cost / count:>9.0f}  {fn[:110]}  ->  {cfn[:60]}")
        return 0
    dump, count = argv[0], float(argv[1])
    top = int(argv[2]) if len(argv) > 2 else 60
    own = collections.Counter()
    for fn, cfn, cost in walk(dump):
        if cfn is None:
            own[fn] += cost
    total = sum(own.values())
    print(f"total {total / count:,.0f} per unit ({total:,} / {count:,.0f})")
    for fn, cost in own.most_common(top):
        print(f"{cost / count:>9.0f} {cost * 100 / total:5.1f}%  {fn[:150]}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
