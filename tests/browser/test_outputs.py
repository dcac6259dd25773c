"""tools/outputs.py: what a learner should never see in a notebook's outputs (no browser)."""

import doctest

import pytest

import outputs

# Lines as TensorFlow 2.20 (Colab's) and 2.21 (environment.yml's) wrote them on this machine.
TF_LINES = [
    "2026-11-29 11:38:42.907159: E external/local_xla/xla/stream_executor/cuda/"
    "cuda_platform.cc:51] failed call to cuInit: INTERNAL: CUDA error",
    "2026-11-29 12:11:40.082223: I tensorflow/core/util/port.cc:153] oneDNN custom operations "
    "are on.",
    "I0000 00:00:1795954285.867467   15755 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "WARNING:tensorflow:5 out of the last 11 calls to <function TensorFlowTrainer._make_function"
    ".<locals>.multi_step_on_iterator at 0x7ff3559ee0c0> triggered tf.function retracing.",
]


def _cell(*outs):
    return {"cell_type": "code", "outputs": list(outs)}


def _stderr(text):
    return {"output_type": "stream", "name": "stderr", "text": text}


def _stdout(text):
    return {"output_type": "stream", "name": "stdout", "text": text}


def _result(text):
    return {"output_type": "execute_result", "data": {"text/plain": text}}


@pytest.mark.parametrize("line", TF_LINES)
def test_tensorflow_log_lines_are_found(line):
    assert outputs.findings([_cell(_stderr(f"some text\n{line}\n"))])[0][:2] == (0, "tensorflow log")


@pytest.mark.parametrize("text", [
    "/tmp/ipykernel_1/3004380533.py:11: UserWarning: em_weak_labels(method='flood'): "
    "39 warning(s) for 85 clicks", "100%|##########| 5/5 [00:01<00:00]", "I0000 is a label",
    "WARNING: the tensorflow docs say"])
def test_python_warnings_and_progress_are_not_findings(text):
    assert outputs.findings([_cell(_stderr(text))]) == []


def test_tensorflow_log_on_stdout_is_found_and_lesson_text_is_not():
    log = "WARNING:tensorflow:5 out of the last 11 calls to <function f> triggered retracing."
    table = "parameter  value  val_dice\nbaseline   -      0.127\n"
    assert outputs.findings([_cell(_stdout(table)), _cell(_stdout(table + log))]) == [
        (1, "tensorflow log", (table + log).strip())]


@pytest.mark.parametrize("text", [
    "PosixPath('figures/01_wrangling/slice0.png')", "<Figure size 640x480 with 2 Axes>",
    "[<matplotlib.lines.Line2D at 0x7f>]", "Text(0.5, 1.0, 'title')", "<Axes: >"])
def test_stray_values_are_found(text):
    assert outputs.findings([_cell(_result(text))]) == [(0, "stray value", text)]


@pytest.mark.parametrize("text", ["0.85", "{'dice': 0.9}", "   kappa  auroc\n0  0.8  0.9"])
def test_wanted_values_are_not_findings(text):
    assert outputs.findings([_cell(_result(text))]) == []


def test_errors_are_found_and_markdown_is_skipped():
    cells = [{"cell_type": "markdown", "source": "PosixPath('x')"},
             _cell({"output_type": "error", "ename": "ValueError", "evalue": "`x` bad",
                    "traceback": []})]
    assert outputs.findings(cells) == [(1, "error", "ValueError: `x` bad")]


def test_docstring_examples_run():
    assert doctest.testmod(outputs).failed == 0
