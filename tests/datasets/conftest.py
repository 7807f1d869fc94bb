import functools
import http.server
import os
import threading
from pathlib import Path

import pytest


@pytest.fixture
def shared_data_home():
    """The folder of real data named by SKTRANSFER_DATA; skip when unset."""
    data_home = os.environ.get("SKTRANSFER_DATA")
    if not data_home:
        pytest.skip("SKTRANSFER_DATA is not set: real-data loader tests need it")
    if not Path(data_home).is_dir():
        pytest.skip(f"SKTRANSFER_DATA={data_home} is not a folder")
    return data_home


@pytest.fixture
def http_server(tmp_path):
    """A loopback HTTP server of a temporary folder, counting GET requests.

    Yields ``(base_url, folder, hits)``; ``hits`` maps each requested path to
    its number of requests.
    """
    folder = tmp_path / "served"
    folder.mkdir()
    hits = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            hits[self.path] = hits.get(self.path, 0) + 1
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", folder, hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
