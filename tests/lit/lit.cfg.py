# lit configuration for mlc's textual tests (mlc-opt / mlc + FileCheck). See docs/testing.md.
# -*- Python -*-
#
# Loaded by the lit.site.cfg.py that CMake writes into build/tests/lit; run with
#   /usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv build/tests/lit
#
# Substitutions: mlc-opt, mlc, FileCheck, not, %python (the venv python).
# Features: ptxas (ptxas is on PATH), onnxruntime (the venv can import it).

import os
import shutil
import subprocess

import lit.formats

config.name = "mlc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlc", ".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(os.path.abspath(__file__))
# test_exec_root comes from lit.site.cfg.py (build/tests/lit).

if not hasattr(config, "mlc_tools_dir"):
    lit_config.fatal("run lit on the build tree (build/tests/lit), not on tests/lit: "
                     "the paths come from the lit.site.cfg.py CMake writes there")


def tool_pattern(name):
    """Matches `name` as a command word, not inside a path, a longer name or a %-substitution."""
    return r"(?<![-\w./%=])" + name.replace("-", r"\-") + r"(?![-\w.])"


# Order matters: mlc-opt before mlc.
tools = [
    ("mlc-opt", os.path.join(config.mlc_tools_dir, "mlc-opt")),
    ("mlc", os.path.join(config.mlc_tools_dir, "mlc")),
    ("FileCheck", config.filecheck),
    ("not", config.not_tool),
]
for name, path in tools:
    config.substitutions.append((tool_pattern(name), path))
config.substitutions.append(("%python", config.venv_python))

# Tools the tests call by name without a substitution (count, split-file...).
config.environment["PATH"] = os.pathsep.join(
    [config.mlc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
# Deterministic, locale-independent output from the tools under test.
config.environment["LC_ALL"] = "C"

# ptxas: codegen tests that assemble PTX (STYLE.md 7); CI without CUDA skips them.
ptxas = shutil.which("ptxas") or shutil.which("ptxas", path="/usr/local/cuda/bin")
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

if os.path.exists(config.venv_python) and subprocess.call(
        [config.venv_python, "-c", "import onnxruntime"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("onnxruntime")
