#!/usr/bin/env python3
"""A scripted stand-in for the Anthropic Messages API, for driving the real Claude Code CLI.

Usage: fake_messages_api.py SCRIPT_JSON REQUEST_LOG

Listens on 127.0.0.1 on a free port and prints that port as the first line of stdout.
Python 3 standard library only.

SCRIPT_JSON is a JSON array of model turns, answered in order to the main conversation:

    [{"tool_use": {"name": "Bash", "input": {"command": "cat .env", "description": "show env"}}},
     {"tool_uses": [{"name": "Read", "input": {"file_path": "/abs/a"}},
                    {"name": "Read", "input": {"file_path": "/abs/b"}}]},
     {"text": "Let me look.", "tool_use": {"name": "Bash", "input": {"command": "ls"}}},
     {"text": "done"}]

A turn holds an optional "text" and optionally one "tool_use" or several "tool_uses"; a turn with
tool uses stops with `tool_use`, a turn with text only stops with `end_turn`. When the script is
exhausted the server answers with a short text that ends the turn.

Which turn to answer is derived from the conversation in the request, never from a request
counter: the turn after the latest scripted turn found among the request's assistant messages
(by the tool_use ids generated here, unique to each call, or for a text-only turn by its text);
turn 0 when there is none. Retries therefore get the same answer, and side requests cannot
advance the script.

Main-conversation requests are told from side requests (title generation, quota checks, topic
detection, ...) by the presence of a non-empty `tools` array in the body: Claude Code sends its
tool definitions with every request of the agent loop and none with its side requests. Side
requests get a short harmless text.

Every request is appended to REQUEST_LOG as one JSON line:
    {"method": "POST", "path": "/v1/messages?beta=true", "kind": "main" | "side" | "count_tokens"
     | "other", "turn": N (main only), "body": <the parsed JSON body, or the raw text, or null>}
"""

import json
import secrets
import string
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

MODEL_FALLBACK = "claude-sonnet-4-5"
SIDE_ANSWER = "OK"
EXHAUSTED_ANSWER = "(The scripted model has nothing more to say.)"
ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix):
    return prefix + "01" + "".join(secrets.choice(ID_ALPHABET) for _ in range(22))


def validate_turn(number, turn):
    """Rejects a malformed turn at start-up, rather than failing the CLI's requests later."""
    def fail(problem):
        raise ValueError("script turn %d: %s: %s" % (number, problem, json.dumps(turn)))
    if not isinstance(turn, dict):
        fail("not an object")
    unknown = set(turn) - {"text", "tool_use", "tool_uses"}
    if unknown:
        fail("unknown keys %s" % sorted(unknown))
    if "text" in turn and not isinstance(turn["text"], str):
        fail("text is not a string")
    uses = list(turn.get("tool_uses") or []) + ([turn["tool_use"]] if turn.get("tool_use") else [])
    if not uses and not turn.get("text"):
        fail("neither text nor a tool use")
    for use in uses:
        if not isinstance(use, dict) or not isinstance(use.get("name"), str) \
                or not isinstance(use.get("input", {}), dict):
            fail("a tool use needs a string name and an object input")


class Script:
    def __init__(self, turns):
        if not isinstance(turns, list):
            raise ValueError("the script must be a JSON array of turns")
        for number, turn in enumerate(turns):
            validate_turn(number, turn)
        self.turns = turns
        self.lock = threading.Lock()
        # tool_use id -> index of the scripted turn that produced it.
        self.turn_of_tool_use_id = {}

    def next_turn_index(self, messages):
        """The index of the scripted turn that answers a conversation holding `messages`.

        Walks the assistant messages in order: one holding a tool_use id generated here was
        turn `turn_of_tool_use_id[id]`; one with only text matching a later text-only turn of the
        script was that turn. The answer is the turn after the latest one found.
        """
        latest = -1
        for message in messages or []:
            if not isinstance(message, dict) or message.get("role") != "assistant":
                continue
            content = message.get("content")
            if isinstance(content, str):
                content = [{"type": "text", "text": content}]
            if not isinstance(content, list):
                continue
            blocks = [block for block in content if isinstance(block, dict)]
            with self.lock:
                known = [self.turn_of_tool_use_id.get(block.get("id")) for block in blocks
                         if block.get("type") == "tool_use"]
            known = [index for index in known if index is not None]
            if known:
                latest = max(latest, max(known))
                continue
            texts = [block.get("text") for block in blocks if block.get("type") == "text"]
            for index in range(latest + 1, len(self.turns)):
                turn = self.turns[index]
                if not turn.get("tool_use") and not turn.get("tool_uses") and turn.get("text") in texts:
                    latest = index
                    break
        return latest + 1

    def content_for_turn(self, index):
        """The content blocks and stop reason of scripted turn `index`."""
        if index >= len(self.turns):
            return [{"type": "text", "text": EXHAUSTED_ANSWER}], "end_turn"
        turn = self.turns[index]
        blocks = []
        if turn.get("text"):
            blocks.append({"type": "text", "text": str(turn["text"])})
        uses = list(turn.get("tool_uses") or [])
        if turn.get("tool_use"):
            uses.append(turn["tool_use"])
        for use in uses:
            tool_id = new_id("toolu_")
            with self.lock:
                self.turn_of_tool_use_id[tool_id] = index
            blocks.append({"type": "tool_use", "id": tool_id, "name": use["name"], "input": use.get("input", {})})
        if not blocks:
            blocks.append({"type": "text", "text": ""})
        return blocks, ("tool_use" if uses else "end_turn")


def estimate_tokens(value):
    return max(1, len(json.dumps(value)) // 4)


def sse(event, data):
    return ("event: %s\ndata: %s\n\n" % (event, json.dumps(data))).encode("utf-8")


def stream_events(message):
    """The SSE byte stream for a complete assistant `message`."""
    start = dict(message)
    start["content"] = []
    start["stop_reason"] = None
    start["stop_sequence"] = None
    start["usage"] = dict(message["usage"], output_tokens=1)
    out = [sse("message_start", {"type": "message_start", "message": start}),
           sse("ping", {"type": "ping"})]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            out.append(sse("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}}))
            text = block["text"]
            # Two deltas when possible, as a real stream would.
            pieces = [text[: len(text) // 2], text[len(text) // 2:]] if len(text) > 1 else [text]
            for piece in pieces:
                out.append(sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "text_delta", "text": piece}}))
        else:
            out.append(sse("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "tool_use", "id": block["id"],
                                                                     "name": block["name"], "input": {}}}))
            partial = json.dumps(block["input"])
            cut = len(partial) // 2
            for piece in (partial[:cut], partial[cut:]):
                out.append(sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                                       "delta": {"type": "input_json_delta",
                                                                 "partial_json": piece}}))
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    out.append(sse("message_delta", {"type": "message_delta",
                                     "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                     "usage": {"output_tokens": message["usage"]["output_tokens"]}}))
    out.append(sse("message_stop", {"type": "message_stop"}))
    return b"".join(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeMessagesAPI/1"

    # Set on the class by main().
    script = None
    log_path = None
    log_lock = threading.Lock()

    def log_message(self, format, *args):  # quiet: the request log is the record
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw:
            return None
        text = raw.decode("utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def record(self, kind, body, turn=None):
        entry = {"method": self.command, "path": self.path, "kind": kind, "body": body}
        if turn is not None:
            entry["turn"] = turn
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with Handler.log_lock:
            with open(Handler.log_path, "a", encoding="utf-8") as log:
                log.write(line)

    def send_bytes(self, status, content_type, payload):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("request-id", new_id("req_"))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_json(self, status, value):
        self.send_bytes(status, "application/json", json.dumps(value).encode("utf-8"))

    def not_found(self, body):
        self.record("other", body)
        self.send_json(404, {"type": "error", "error": {"type": "not_found_error",
                                                        "message": "not found: %s" % self.path}})

    def do_GET(self):
        self.not_found(None)

    def do_HEAD(self):
        self.record("other", None)
        self.send_bytes(200, "application/json", b"")

    def do_DELETE(self):
        self.not_found(self.read_body())

    def do_PUT(self):
        self.not_found(self.read_body())

    def do_POST(self):
        body = self.read_body()
        try:
            self.answer_post(body)
        except Exception as error:  # a bug here must fail the CLI fast, not make it retry
            sys.stderr.write("fake_messages_api: %r while answering %s\n" % (error, self.path))
            sys.stderr.flush()
            self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                            "message": "fake server error: %r" % (error,)}})

    def answer_post(self, body):
        route = urlsplit(self.path).path.rstrip("/")
        if route == "/v1/messages/count_tokens":
            self.record("count_tokens", body)
            self.send_json(200, {"input_tokens": estimate_tokens(body)})
            return
        if route != "/v1/messages" or not isinstance(body, dict):
            self.not_found(body)
            return

        tools = body.get("tools")
        is_main = isinstance(tools, list) and len(tools) > 0
        if is_main:
            turn = Handler.script.next_turn_index(body.get("messages"))
            self.record("main", body, turn)
            content, stop_reason = Handler.script.content_for_turn(turn)
        else:
            self.record("side", body)
            content, stop_reason = [{"type": "text", "text": SIDE_ANSWER}], "end_turn"

        message = {
            "id": new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body.get("model") or MODEL_FALLBACK,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": estimate_tokens(body.get("messages")),
                      "output_tokens": estimate_tokens(content),
                      "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0},
        }
        if body.get("stream"):
            self.send_bytes(200, "text/event-stream", stream_events(message))
        else:
            self.send_json(200, message)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: fake_messages_api.py SCRIPT_JSON REQUEST_LOG\n")
        return 64
    with open(argv[1], encoding="utf-8") as f:
        Handler.script = Script(json.load(f))
    Handler.log_path = argv[2]
    open(Handler.log_path, "a").close()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
