"""A minimal W3C WebDriver client (stdlib only) for the web UI tests: starts
Debian's chromedriver on a free loopback port and drives headless Chromium
with a fresh profile. Every call is bounded in time.
"""
import base64
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriverError(Exception):
    pass


class Browser:
    def __init__(self, chromium="/usr/bin/chromium",
                 chromedriver="/usr/bin/chromedriver", size=(1400, 1000),
                 downloads=None):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="archer-chromium-")
        self.log = open(os.path.join(self.profile, "chromedriver.log"), "w")
        self.proc = subprocess.Popen(
            [chromedriver, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status", session=False)
                break
            except (OSError, WebDriverError):
                if time.time() > deadline:
                    raise WebDriverError("chromedriver did not start")
                time.sleep(0.1)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + self.profile,
                "--window-size=%d,%d" % size]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium, "args": args,
                "prefs": {"download.default_directory": downloads or self.profile,
                          "download.prompt_for_download": False}}}}}
        self.session = self._call("POST", "/session", caps,
                                  session=False)["sessionId"]

    def _call(self, method, path, body=None, session=True, timeout=60):
        url = self.base + ("/session/" + self.session if session else "") + path
        data = json.dumps(body if body is not None else {}).encode() \
            if method == "POST" else None
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                return json.loads(res.read().decode())["value"]
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise WebDriverError("%s %s: %s" % (method, path, detail[:500]))

    def get(self, url):
        self._call("POST", "/url", {"url": url})

    def js(self, script, *args):
        """Runs `script` (a function body) in the page; returns its value."""
        return self._call("POST", "/execute/sync",
                          {"script": script, "args": list(args)})

    def find(self, css):
        return self._call("POST", "/element",
                          {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css):
        self._call("POST", "/element/%s/click" % self.find(css))

    def type(self, css, text):
        self._call("POST", "/element/%s/value" % self.find(css), {"text": text})

    def accept_alert(self):
        self._call("POST", "/alert/accept")

    def wait(self, script, timeout=20, what=None, *args):
        """Waits until `script` returns a truthy value; returns it."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.js(script, *args)
            except WebDriverError as e:
                last = e
            if last and not isinstance(last, WebDriverError):
                return last
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s (last: %r)"
                             % (what or script, last))

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)

    def quit(self):
        try:
            self._call("DELETE", "", timeout=20)
        except Exception:  # noqa: BLE001 - best effort at the end
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
