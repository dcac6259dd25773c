"""segkit's start-up hush of TensorFlow (segkit._quiet), in fresh interpreters."""

import os
import subprocess
import sys

import pytest

PROBE = ("import logging, os, segkit, tensorflow; "
         "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'), logging.getLogger('tensorflow').level)")


def run(env_level):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if env_level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = env_level
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split(), out.stderr


@pytest.mark.slow
def test_tensorflow_imported_after_segkit_starts_quietly():
    (level, py_level), stderr = run(None)
    assert level == "2" and py_level == "40"  # C++ log at warnings+, Python logger errors only
    assert "oneDNN" not in stderr and "cuda" not in stderr.lower()


@pytest.mark.slow
def test_a_log_level_the_user_set_is_respected():
    (level, py_level), stderr = run("0")
    assert level == "0" and py_level != "40"  # the hook stays out of the way
