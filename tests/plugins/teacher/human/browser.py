#!/usr/bin/python3
"""The human teacher end to end in a real browser (docs/human-feedback.md).

Headless Chromium, driven through Selenium and Debian's chromedriver, labels
two short `prefrl run`s of cart-pole with `teacher: {name: human}`:

1. A whole run: round 1 answered with the page's buttons, round 2 with its
   keyboard shortcuts, each in a known pattern; the labels must arrive in
   labels.csv in that order (left 0, right 1, equal -1, skip -2).  Requests
   without the token, or with a wrong one, are refused with 403.  A
   screenshot of the page with both clips loaded is written to the build
   directory (docs/img/labelling-page.png is a copy of it).
2. An interrupted round (MP4 clips this time, WebM above): two answers,
   then SIGINT; the run exits 130, `prefrl resume` comes back to the same
   round with a new token (the old one refused), the page shows only the
   two unanswered queries, and the final labels.csv holds every answer.

Run by browser.sh (make check), which checks for the browser and Selenium
first; exits 1 with a one-line reason on failure.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
N = 4  # queries per round (reward_batch), two rounds (max_feedback 8)
LABEL_VALUE = {"left": 0, "right": 1, "equal": -1, "skip": -2}
KEY_LABEL = {Keys.ARROW_LEFT: "left", "a": "left", Keys.ARROW_RIGHT: "right", "d": "right",
             "e": "equal", Keys.ARROW_DOWN: "equal", "s": "skip"}
URL_RE = re.compile(r"labelling page: (http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+))")

# A tiny cart-pole run: two complete episodes by step 300, query rounds at
# steps 300 and 400 of 4 queries each, small clips; it trains in well under
# a second, so the test's time is the browser's.
RECIPE = """\
seed: 1
name: browser
trainer:
  num_train_steps: 450
  num_seed_steps: 250
  num_unsup_steps: 50
  eval_frequency: 100000
  num_eval_episodes: 1
  max_feedback: 8
  reward_batch: 4
  num_interact: 100
  segment: 20
  reset_update: 10
env:
  task: cartpole_swingup
  action_repeat: 4
agent:
  name: sac
  hidden_dim: 32
  hidden_depth: 2
  batch_size: 32
sampler:
  name: uniform
teacher:
  name: human
  port: 0
  width: 320
  height: 240
reward:
  name: pebble
  hidden_dim: 32
"""


class TestFailure(Exception):
    """A failed expectation; main() prints it as the one-line reason."""


def check(cond, message):
    """Raise TestFailure(message) unless cond."""
    if not cond:
        raise TestFailure(message)


def wait_for(what, predicate, timeout=30.0, interval=0.1):
    """Poll predicate() until it returns a true value (returned) or fail
    naming what (a string, or a function giving it at the time of failure)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TestFailure("timed out after %.0f s waiting for %s"
                              % (timeout, what() if callable(what) else what))
        time.sleep(interval)


class Run:
    """One `prefrl run` or `prefrl resume` process and its run directory."""

    def __init__(self, prefrl, args, run_dir, out_path, old_tokens=()):
        self.run_dir = run_dir
        self.out_path = out_path
        self.out = open(out_path, "ab")
        # a resume keeps log.txt whole, the earlier processes' URLs included,
        # so this process's URL is told apart by its token (a new one each
        # start)
        self.old_tokens = set(old_tokens)
        self.proc = subprocess.Popen([prefrl] + args, stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def log_text(self):
        """log.txt of the run so far ('' before it exists)."""
        try:
            with open(os.path.join(self.run_dir, "log.txt"), encoding="utf-8") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def page_url(self):
        """The labelling page's URL this process wrote to log.txt (waits for it)."""
        def find():
            check(self.proc.poll() is None,
                  "prefrl exited with status %s before printing the labelling page's URL:\n%s"
                  % (self.proc.returncode, self.output()))
            for m in URL_RE.finditer(self.log_text()):
                if m.group(3) not in self.old_tokens:
                    return m
            return None
        m = wait_for("the labelling page's URL in %s/log.txt" % self.run_dir, find, timeout=60)
        return m.group(1), int(m.group(2)), m.group(3)

    def output(self):
        """What the process printed (stdout and stderr)."""
        self.out.flush()
        with open(self.out_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait(self, timeout=60):
        """Wait for the process to exit; its exit status."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure("prefrl still running %d s after the last answer:\n%s"
                              % (timeout, self.output()))

    def kill(self):
        """Stop the process if it still runs (cleanup after a failure)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def http_status(url, data=None):
    """HTTP status of a GET (or a POST with data) of url."""
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def get_round(port, token):
    """GET /round with the token: the current round's JSON."""
    with urllib.request.urlopen("http://127.0.0.1:%d/round?token=%s" % (port, token),
                                timeout=10) as r:
        return json.load(r)


def start_browser():
    """Headless Chromium through Debian's chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1280,800", "--autoplay-policy=no-user-gesture-required",
                "--disable-gpu"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def text(driver, element_id):
    """The visible text of #element_id ('' when absent)."""
    found = driver.find_elements(By.ID, element_id)
    return found[0].text.strip() if found else ""


def wait_text(driver, element_id, expected, timeout=30):
    """Wait until #element_id's text equals expected."""
    wait_for(lambda: "#%s to read '%s' (it reads '%s')"
             % (element_id, expected, text(driver, element_id)),
             lambda: text(driver, element_id) == expected, timeout=timeout)


def wait_new_round(driver, previous_round_text, answered=0, timeout=30):
    """Wait until the page shows a round other than previous_round_text with
    `answered` of its N queries answered; the new #round text."""
    def shown():
        r = text(driver, "round")
        if r and r != previous_round_text and text(driver, "progress") == "%d / %d" % (answered, N):
            return r
        return None
    return wait_for(lambda: "a new round on the page (#round '%s', #progress '%s')"
                    % (text(driver, "round"), text(driver, "progress")), shown, timeout=timeout)


def wait_clips(driver):
    """Wait until both <video> elements have a frame to show."""
    js = ("var l = document.getElementById('left-video'), r = document.getElementById('right-video');"
          "return !!(l && r && l.readyState >= 2 && r.readyState >= 2 && l.videoWidth > 0 &&"
          " r.videoWidth > 0);")
    wait_for("both clips (#left-video, #right-video) to load", lambda: driver.execute_script(js))


def answer(driver, start, labels, how):
    """Answer queries start.. of the shown round: labels by clicking the
    buttons (how='click') or keys (how='keys': labels are keys).  Waits for
    #progress to count each answer before giving the next."""
    given = []
    for k, item in enumerate(labels):
        done = start + k
        wait_text(driver, "progress", "%d / %d" % (done, N))
        if how == "click":
            driver.find_element(By.ID, "btn-" + item).click()
            given.append(item)
        else:
            ActionChains(driver).send_keys(item).perform()
            given.append(KEY_LABEL[item])
        if done + 1 < N:
            wait_text(driver, "progress", "%d / %d" % (done + 1, N))
    return given


def read_labels(run_dir):
    """labels.csv as (round, pair, label) tuples, in file order."""
    rows = []
    with open(os.path.join(run_dir, "labels.csv"), encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        check(header[:4] == ["round", "step", "pair", "label"],
              "labels.csv: unexpected header %s" % header)
        for line in f:
            c = line.strip().split(",")
            rows.append((int(c[0]), int(c[2]), int(c[3])))
    return rows


def expected_rows(round1, round2):
    """labels.csv rows for two rounds answered with these labels."""
    return ([(1, i, LABEL_VALUE[l]) for i, l in enumerate(round1)] +
            [(2, i, LABEL_VALUE[l]) for i, l in enumerate(round2)])


def whole_run(prefrl, work, driver, screenshot):
    """Part 1: buttons, keys, labels.csv order, 403s, the screenshot."""
    run_dir = os.path.join(work, "runs", "browser")
    run = Run(prefrl, ["run", os.path.join(work, "browser.yaml"), "out_dir=" + work + "/runs"],
              run_dir, os.path.join(work, "run.out"))
    try:
        url, port, token = run.page_url()
        base = "http://127.0.0.1:%d" % port
        # the token is required on every path, the page itself included
        for path in ("/", "/round", "/round?token=" + "0" * len(token), "/?token="):
            check(http_status(base + path) == 403, "GET %s without the token: status %d, not 403"
                  % (path, http_status(base + path)))
        check(http_status(base + "/answer", data=b"index=0&label=left") == 403,
              "POST /answer without the token was not refused with 403")
        check(http_status(base + "/round?token=" + token) == 200, "GET /round with the token failed")
        wait_for("round 1's queries on /round",
                 lambda: len((get_round(port, token).get("queries") or [])) == N)

        driver.get(url)
        wait_text(driver, "progress", "0 / %d" % N)
        round1_text = text(driver, "round")
        check(round1_text.startswith("Round "), "#round reads '%s', not 'Round N'" % round1_text)
        wait_clips(driver)
        # both clips held at their middle frame, so a refreshed screenshot
        # shows the same moment whatever the machine's speed
        driver.set_script_timeout(30)
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1], vs = [document.getElementById("
            "'left-video'), document.getElementById('right-video')]; let n = 0;"
            "for (const v of vs) { v.pause(); v.addEventListener('seeked', () => {"
            " if (++n === 2) done(true); }, {once: true}); v.currentTime = v.duration / 2; }")
        check(driver.save_screenshot(screenshot), "cannot write the screenshot %s" % screenshot)

        round1 = answer(driver, 0, ["left", "right", "equal", "skip"], "click")
        wait_for("#status to say the round is done",
                 lambda: "Round done" in text(driver, "status") or
                 text(driver, "round") != round1_text)
        wait_new_round(driver, round1_text)
        wait_clips(driver)
        round2 = answer(driver, 0, [Keys.ARROW_RIGHT, "a", Keys.ARROW_DOWN, "d"], "keys")
        status = run.wait()
        check(status == 0, "prefrl run exited %d:\n%s" % (status, run.output()))
        rows = read_labels(run_dir)
        want = expected_rows(round1, round2)
        check(rows == want, "labels.csv holds %s, the page was answered %s" % (rows, want))
        print("browser: run labelled by clicks and keys: labels.csv %s" % [r[2] for r in rows])
    finally:
        run.kill()


def interrupted_run(prefrl, work, driver):
    """Part 2: SIGINT mid-round, resume asks only the unanswered queries."""
    run_dir = os.path.join(work, "runs", "interrupted")
    out = os.path.join(work, "interrupted.out")
    # this run's clips are MP4 (H.264), the first run's WebM (VP9): the page
    # must play both formats
    run = Run(prefrl, ["run", os.path.join(work, "browser.yaml"), "out_dir=" + work + "/runs",
                       "name=interrupted", "teacher.format=mp4"], run_dir, out)
    try:
        url, port, token = run.page_url()
        driver.get(url)
        wait_clips(driver)
        first = answer(driver, 0, ["right", "left"], "click")
        wait_text(driver, "progress", "2 / %d" % N)
        answered = get_round(port, token).get("answered") or {}
        check(len(answered) == 2, "/round shows %d answered queries after 2 answers" % len(answered))
        run.proc.send_signal(signal.SIGINT)
        status = run.wait()
        check(status == 130, "the interrupted run exited %d, not 130:\n%s" % (status, run.output()))
    finally:
        run.kill()

    resumed = Run(prefrl, ["resume", run_dir], run_dir, out, old_tokens=[token])
    try:
        url2, port2, token2 = resumed.page_url()
        check(http_status("http://127.0.0.1:%d/round?token=%s" % (port2, token)) == 403,
              "the resumed run's page accepts the interrupted run's token")
        state = get_round(port2, token2)
        answered = state.get("answered") or {}
        check(sorted(answered.items()) == [("0", "right"), ("1", "left")],
              "after resume /round shows answered %s, not queries 0 right and 1 left" % answered)
        driver.get(url2)
        wait_text(driver, "progress", "2 / %d" % N)
        round_text = text(driver, "round")
        shown = re.search(r"\d+", text(driver, "query"))
        # index 2 is the first unanswered one (numbered from 0 or 1: never below 2)
        check(shown and int(shown.group()) >= 2,
              "after resume the page shows '%s', an answered query" % text(driver, "query"))
        wait_clips(driver)
        rest = answer(driver, 2, ["e", "s"], "keys")
        wait_new_round(driver, round_text)
        round2 = answer(driver, 0, [Keys.ARROW_LEFT, "d", "s", "e"], "keys")
        status = resumed.wait()
        check(status == 0, "prefrl resume exited %d:\n%s" % (status, resumed.output()))
        rows = read_labels(run_dir)
        want = expected_rows(first + rest, round2)
        check(rows == want, "labels.csv after resume holds %s, the page was answered %s"
              % (rows, want))
        print("browser: interrupted after 2 answers, resumed with 2 left: labels.csv %s"
              % [r[2] for r in rows])
    finally:
        resumed.kill()


def main():
    """Both parts; exit 0 on success, 1 with the reason on failure."""
    builddir = os.environ.get("abs_top_builddir") or os.getcwd()
    prefrl = os.path.join(builddir, "prefrl")
    if not os.access(prefrl, os.X_OK):
        print("browser: %s is not built" % prefrl)
        return 99
    here = os.path.join(builddir, "tests", "plugins", "teacher", "human")
    os.makedirs(here, exist_ok=True)
    screenshot = os.path.join(here, "labelling-page.png")
    work = tempfile.mkdtemp(prefix="browser-", dir=here)
    with open(os.path.join(work, "browser.yaml"), "w", encoding="utf-8") as f:
        f.write(RECIPE)
    t0 = time.monotonic()
    driver = None
    try:
        driver = start_browser()
        driver.set_page_load_timeout(30)
        whole_run(prefrl, work, driver, screenshot)
        interrupted_run(prefrl, work, driver)
    except TestFailure as e:
        print("browser: FAIL: %s (run directories kept in %s)" % (e, work))
        return 1
    except WebDriverException as e:
        # Selenium's messages carry a stack trace after the first line
        first = (e.msg or str(e)).strip().splitlines()
        print("browser: FAIL: the browser: %s (run directories kept in %s)"
              % (first[0] if first else type(e).__name__, work))
        return 1
    finally:
        if driver is not None:
            driver.quit()
    print("browser: screenshot %s; %.1f s" % (screenshot, time.monotonic() - t0))
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
