#!/usr/bin/env python3
"""A real OTLP/HTTP logs receiver for testing `warden log export`, on loopback.

Decodes each request's JSON body with opentelemetry-proto's ExportLogsServiceRequest through
google.protobuf.json_format.Parse, which rejects unknown or misspelt field names and values of
the wrong type (and, checked here, snake_case names and 64-bit integers as JSON numbers, which
OTLP/JSON forbids and Parse accepts), and appends what arrived to --out as one JSON line per request:

  {"n": 1, "path": "/v1/logs", "status": 200, "contentType": "application/json",
   "authorization": "...", "resource": {"service.name": "warden", ...},
   "scope": {"name": "warden.decision-log", "version": "..."},
   "records": [{"timeUnixNano": 1793000000000000000, "observedTimeUnixNano": ...,
                "severityNumber": 13, "severityText": "WARN", "body": "deny Bash",
                "attributes": {"warden.seq": 1, "warden.rules": ["Bash(curl:*)"], ...}}]}

Attribute values are flattened: stringValue to a string, intValue to an integer, arrayValue to a
list. A body that does not decode is answered 400 and logged with "error".

It can be told to fail: --fail-first N answers the first N requests with --fail-status (default
503, with Retry-After when --retry-after is given); --status CODE answers every request so;
--reject N reports N rejected records as a partial success; --hang reads each request and never
answers. Prints "listening PORT" on stdout once it accepts connections.

With --tls-cert FILE --tls-key FILE it serves HTTPS (python's ssl module; FILE in PEM form, the
certificate file may hold the chain after it); --tls-client-ca FILE also requires a client
certificate issued by a CA in FILE (mutual TLS), and each request's line then has
"clientCertificate": the subject's common name. A connection whose handshake fails is closed and
not written down.

  Scripts/otlp-receiver.py --port 4318 --out /tmp/otlp.jsonl      # then: warden log export --endpoint http://127.0.0.1:4318
  Scripts/otlp-receiver.py --port 4318 --out /tmp/otlp.jsonl --tls-cert server.pem --tls-key server.key

Needs PyPI's opentelemetry-proto (Scripts/install-deps.sh installs it).
"""
import argparse
import json
import socket
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)


def flatten(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [flatten(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: flatten(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    if kind is None:
        return None
    return getattr(any_value, kind)


def check_raw(value, where="request"):
    """What json_format.Parse lets through but OTLP/JSON forbids: snake_case field names, and
    64-bit integers written as JSON numbers instead of strings."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_raw(item, "%s[%d]" % (where, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            if "_" in key:
                raise ValueError("%s: field %r is not lowerCamelCase" % (where, key))
            if key in ("timeUnixNano", "observedTimeUnixNano", "intValue") and not isinstance(item, str):
                raise ValueError("%s.%s: a 64-bit integer must be a JSON string, got %r" % (where, key, item))
            check_raw(item, where + "." + key)


def attributes(key_values):
    out = {}
    for kv in key_values:
        if kv.key in out:
            raise ValueError("attribute %r appears twice" % kv.key)
        out[kv.key] = flatten(kv.value)
    return out


def main():
    parser = argparse.ArgumentParser(description="OTLP/HTTP logs receiver for tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True, help="append one JSON line per request here")
    parser.add_argument("--fail-first", type=int, default=0, help="fail this many requests first")
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--retry-after", help="Retry-After value sent with failures")
    parser.add_argument("--status", type=int, help="answer every request with this status")
    parser.add_argument("--reject", type=int, default=0, help="report this many records rejected")
    parser.add_argument("--hang", action="store_true", help="read each request and never answer")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate (chain)")
    parser.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    parser.add_argument("--tls-client-ca", metavar="FILE", help="require a client certificate from a CA in this PEM file")
    options = parser.parse_args()
    if bool(options.tls_cert) != bool(options.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if options.tls_client_ca and not options.tls_cert:
        parser.error("--tls-client-ca needs --tls-cert and --tls-key")
    state = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body, headers=()):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            state["n"] += 1
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if options.hang:
                with open(options.out, "a") as out:
                    out.write(json.dumps({"n": state["n"], "status": None, "records": []}) + "\n")
                time.sleep(3600)
            entry = {
                "n": state["n"],
                "path": self.path,
                "contentType": self.headers.get("Content-Type"),
                "authorization": self.headers.get("Authorization"),
                "records": [],
            }
            if options.tls_client_ca:
                subject = dict(pair for rdn in self.connection.getpeercert().get("subject", ()) for pair in rdn)
                entry["clientCertificate"] = subject.get("commonName")
            status, response, extra = 200, "{}", []
            if self.path != "/v1/logs":
                status, response = 404, json.dumps({"code": 5, "message": "no such path " + self.path})
            elif state["n"] <= options.fail_first:
                status = options.fail_status
                response = json.dumps({"code": 14, "message": "failing on purpose"})
                if options.retry_after is not None:
                    extra.append(("Retry-After", options.retry_after))
            elif options.status is not None:
                status, response = options.status, json.dumps({"code": 3, "message": "refused on purpose"})
            else:
                try:
                    if entry["contentType"] != "application/json":
                        raise ValueError("Content-Type is %r" % entry["contentType"])
                    text = body.decode("utf-8")
                    check_raw(json.loads(text))
                    request = ExportLogsServiceRequest()
                    json_format.Parse(text, request)
                    for resource_logs in request.resource_logs:
                        entry["resource"] = attributes(resource_logs.resource.attributes)
                        for scope_logs in resource_logs.scope_logs:
                            entry["scope"] = {"name": scope_logs.scope.name, "version": scope_logs.scope.version}
                            for record in scope_logs.log_records:
                                entry["records"].append({
                                    "timeUnixNano": record.time_unix_nano,
                                    "observedTimeUnixNano": record.observed_time_unix_nano,
                                    "severityNumber": record.severity_number,
                                    "severityText": record.severity_text,
                                    "body": flatten(record.body),
                                    "attributes": attributes(record.attributes),
                                })
                    answer = ExportLogsServiceResponse()
                    if options.reject:
                        answer.partial_success.rejected_log_records = options.reject
                        answer.partial_success.error_message = "rejected on purpose"
                    response = json_format.MessageToJson(answer, indent=None)
                except Exception as error:  # a body that does not decode is the test's failure
                    entry["records"] = []
                    entry["error"] = "%s: %s" % (type(error).__name__, error)
                    status, response = 400, json.dumps({"code": 3, "message": entry["error"]})
            entry["status"] = status
            with open(options.out, "a") as out:
                out.write(json.dumps(entry) + "\n")
            self.answer(status, response, extra)

    context = None
    if options.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        if options.tls_client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(options.tls_client_ca)

    class Server(HTTPServer):
        def get_request(self):
            connection, address = self.socket.accept()
            if context is None:
                return connection, address
            connection = context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
            try:
                connection.settimeout(10)
                connection.do_handshake()
                connection.settimeout(None)
            except (ssl.SSLError, OSError):
                # The alert is sent; what the client sent after its half of the handshake (with
                # TLS 1.3, the request) is read before closing, or the close would be a reset
                # that can reach the client before the alert does. A failed connection is
                # dropped by the server's loop, which goes on.
                raw = socket.socket(fileno=connection.detach())
                raw.settimeout(2)
                try:
                    while raw.recv(65536):
                        pass
                except OSError:
                    pass
                raw.close()
                raise
            return connection, address

    server = Server((options.host, options.port), Handler)
    print("listening %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
