#!/usr/bin/env python3
"""A stand-in for a card's Access Control Server (ACS), for trying the payment example's 3-D
Secure challenge by hand (README, "The payment example").

The payment machine's `Wait3DSCallback` state POSTs `{"taskToken", "paymentId", "amount",
"currency", "challengeId"}` to `card.acsUrl` and waits for `SendTaskSuccess`. This server
answers that POST with 200 and prints the body's `taskToken` on standard output, one line per
challenge; with `--count N` (default 1) it exits after N challenges, so

    python3 examples/payment/acs.py --port 9099 > token.txt &
    ... start an execution whose card.acsUrl is http://127.0.0.1:9099/challenge ...
    wait; TOKEN=$(cat token.txt)

leaves the Task Token in `$TOKEN`. It listens on 127.0.0.1 only and gives up (exit status 1)
after `--timeout` seconds (default 60) without a challenge. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9099, help="port on 127.0.0.1 (default 9099)")
    parser.add_argument("--count", type=int, default=1, help="challenges to take before exiting (default 1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each challenge (default 60)")
    args = parser.parse_args()

    tokens: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                token = json.loads(body)["taskToken"]
            except (ValueError, KeyError, TypeError):
                self.send_response(400)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"challenge":"started"}')
            tokens.append(token)
            print(token, flush=True)

        def log_message(self, *_args) -> None:
            pass

    class Server(HTTPServer):
        timed_out = False

        def handle_timeout(self) -> None:
            self.timed_out = True

    with Server(("127.0.0.1", args.port), Handler) as server:
        server.timeout = args.timeout
        while len(tokens) < args.count:
            server.handle_request()  # one request, or None after the timeout
            if server.timed_out:
                print(f"acs.py: no challenge within {args.timeout:g} s", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
