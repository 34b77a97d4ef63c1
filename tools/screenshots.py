"""Take the README's screenshots of the explorer: the runs table and a run's charts, on the demo.

Run from a checkout: `python tools/screenshots.py [--store DIR]` runs `provml demo` into a
scratch directory (or takes the store of an earlier demo, `DIR/provml-store`), starts
`provml serve` on it, opens the training workflow's runs table and its best run's page in
headless Chromium (Debian's chromium and chromedriver, through Selenium: the `test` extra) and
writes `docs/images/explorer-runs.png` and `docs/images/explorer-run.png`. Needs the `demo` and
`serve` extras. A development tool: it is not part of the installed package.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
TRAINING = "https://w3id.org/provml/id/workflow/seismic%20facies%20training"
#: The runs table's columns in the picture: the searched hyperparameters and the final metrics.
COLUMNS = ("hidden_layers", "learning_rate_init", "alpha", "accuracy/validation", "loss/validation")


def demo_store(scratch: Path) -> Path:
    """A store of one `provml demo` run in `scratch`."""
    subprocess.run([sys.executable, "-m", "provml", "demo", "--output", str(scratch)], check=True)
    return scratch / "provml-store"


def serve(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`provml serve` on the store and a free loopback port, once it answers; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "provml", "serve", "--store", str(store), "--port", str(port)]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/queries", timeout=2):
                return process, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("provml serve did not start")


def chromium() -> webdriver.Chrome:
    """Headless Debian chromium, a window of the screenshots' size."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        options=options, service=Service(executable_path=shutil.which("chromedriver"))
    )
    driver.set_window_size(1400, 720)
    return driver


def show(driver: webdriver.Chrome, url: str, view: str) -> None:
    """Open a view and wait until it has loaded."""
    driver.get("about:blank")
    driver.get(url)
    WebDriverWait(driver, 60).until(
        lambda _: driver.execute_script(
            "return document.body.dataset.view === arguments[0]"
            " && document.body.dataset.state === 'ready'",
            view,
        )
    )
    time.sleep(0.5)  # the charts' canvases are drawn after the state is set


def main() -> None:
    """Take both screenshots into docs/images/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None, help="an earlier demo's directory")
    arguments = parser.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        store = arguments.store / "provml-store" if arguments.store else demo_store(Path(scratch))
        server, base = serve(store)
        driver = chromium()
        try:
            runs = "#/runs?" + urllib.parse.urlencode(
                {
                    "workflow": TRAINING,
                    "sort": "accuracy/validation",
                    "desc": "1",
                    "cols": ",".join(COLUMNS),
                }
            )
            driver.set_window_size(1500, 420)
            show(driver, base + runs, "runs")
            driver.save_screenshot(str(IMAGES / "explorer-runs.png"))
            best = driver.execute_script(
                "return document.querySelector('#runs-table tbody tr').dataset.run"
            )
            driver.set_window_size(1400, 720)
            run = "#/run?" + urllib.parse.urlencode({"run": best, "workflow": TRAINING})
            show(driver, base + run, "run")
            driver.execute_script("document.querySelector('.charts').parentNode.scrollIntoView()")
            driver.save_screenshot(str(IMAGES / "explorer-run.png"))
        finally:
            driver.quit()
            server.terminate()
            server.wait(30)
    print(f"wrote {IMAGES / 'explorer-runs.png'} and {IMAGES / 'explorer-run.png'}")


if __name__ == "__main__":
    main()
