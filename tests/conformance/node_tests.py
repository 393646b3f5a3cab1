"""The ONNX backend node tests: generating their data, loading it, checking outputs.

Each case is a directory `<name>/` holding `model.onnx` and one or more
`test_data_set_<i>/` with `input_<j>.pb` and `output_<j>.pb`, the layout of
onnx's `onnx/backend/test/data/node`. The onnx wheel ships the case
generators (`onnx.backend.test.case.node`) but not that data, and the
`generate-data` command of its `cmd_tools` writes only the model tests, so
`generate()` runs the node generators and writes their cases the way
`cmd_tools` writes a model test.

`compare()` is the check of onnx's backend test runner
(`Runner.assert_similar_outputs`): same number of outputs, exact shape and
dtype, strings equal, everything else `np.testing.assert_allclose` with
rtol 1e-3 and atol 1e-7 (NaNs equal where both are NaN; bfloat16 with an
rtol of at least two bfloat16 ULPs).
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

RTOL = 1e-3
ATOL = 1e-7

# Written last by generate(): a data directory without it is incomplete.
_STAMP = "GENERATED"


def _stamp_text() -> str:
    return f"onnx {onnx.__version__}, numpy seed 0\n"


def data_is_current(data_dir: str) -> bool:
    """True when `data_dir` holds a complete generation for the installed onnx."""
    path = os.path.join(data_dir, _STAMP)
    if not os.path.exists(path):
        return False
    with open(path, encoding="utf-8") as f:
        return f.read() == _stamp_text()


def _to_proto(value: Any, type_proto: onnx.TypeProto, name: str) -> bytes:
    """Serializes one input or output value as cmd_tools does, by the graph's type."""
    if type_proto.HasField("map_type"):
        return numpy_helper.from_dict(value, name).SerializeToString()
    if type_proto.HasField("sequence_type"):
        return numpy_helper.from_list(value, name).SerializeToString()
    if type_proto.HasField("optional_type"):
        return numpy_helper.from_optional(value, name).SerializeToString()
    if isinstance(value, onnx.TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(value, name).SerializeToString()


def generate(data_dir: str) -> int:
    """Writes every node test case into `data_dir`; returns the number of cases.

    The global numpy seed is fixed first: many generators draw random inputs,
    and a fixed seed makes the data the same on every machine.
    """
    np.random.seed(0)
    if os.path.exists(data_dir):
        shutil.rmtree(data_dir)
    os.makedirs(data_dir)
    # Some generators divide by zero on purpose (to expect inf): keep quiet.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        # Imported here: importing it runs every generator, which takes seconds.
        import onnx.backend.test.case.node as node_cases

        cases = node_cases.collect_testcases()
    for case in cases:
        assert case.kind == "node" and case.model is not None and case.data_sets
        case_dir = os.path.join(data_dir, case.name)
        os.makedirs(case_dir)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        graph = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            set_dir = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(set_dir)
            for kind, values, infos in (("input", inputs, graph.input),
                                        ("output", outputs, graph.output)):
                for j, value in enumerate(values):
                    with open(os.path.join(set_dir, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(_to_proto(value, infos[j].type, infos[j].name))
    with open(os.path.join(data_dir, _STAMP), "w", encoding="utf-8") as f:
        f.write(_stamp_text())
    return len(cases)


def case_names(data_dir: str) -> list[str]:
    """Every case in `data_dir`, sorted."""
    return sorted(name for name in os.listdir(data_dir)
                  if os.path.exists(os.path.join(data_dir, name, "model.onnx")))


@dataclass
class Case:
    name: str
    dir: str
    model: onnx.ModelProto
    data_sets: list[str]  # the test_data_set_* directories, sorted

    @property
    def inputs(self) -> list[onnx.ValueInfoProto]:
        """The graph inputs that are fed (initializers excluded)."""
        initializers = {t.name for t in self.model.graph.initializer}
        return [i for i in self.model.graph.input if i.name not in initializers]

    @property
    def outputs(self) -> list[onnx.ValueInfoProto]:
        return list(self.model.graph.output)


def load_case(data_dir: str, name: str) -> Case:
    case_dir = os.path.join(data_dir, name)
    model = onnx.load(os.path.join(case_dir, "model.onnx"))
    sets = sorted((d for d in os.listdir(case_dir) if d.startswith("test_data_set_")),
                  key=lambda d: int(d.rsplit("_", 1)[1]))
    return Case(name, case_dir, model, [os.path.join(case_dir, d) for d in sets])


def data_files(set_dir: str, kind: str) -> list[str]:
    """`<kind>_0.pb`, `<kind>_1.pb`, ... of one data set, in index order."""
    pattern = re.compile(rf"{kind}_(\d+)\.pb")
    found = {int(m.group(1)): m.group(0)
             for m in map(pattern.fullmatch, os.listdir(set_dir)) if m}
    return [os.path.join(set_dir, found[i]) for i in sorted(found)]


def load_value(path: str, type_proto: onnx.TypeProto) -> Any:
    """Reads a .pb as the graph's type says: tensor, sequence, optional or map."""
    with open(path, "rb") as f:
        data = f.read()
    if type_proto.HasField("sequence_type"):
        proto: Any = onnx.SequenceProto()
        proto.ParseFromString(data)
        return numpy_helper.to_list(proto)
    if type_proto.HasField("optional_type"):
        proto = onnx.OptionalProto()
        proto.ParseFromString(data)
        return numpy_helper.to_optional(proto)
    if type_proto.HasField("map_type"):
        proto = onnx.MapProto()
        proto.ParseFromString(data)
        return numpy_helper.to_dict(proto)
    proto = onnx.TensorProto()
    proto.ParseFromString(data)
    return numpy_helper.to_array(proto)


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} {list(value.shape)}"
    return type(value).__name__


def _compare_array(where: str, want: np.ndarray, got: np.ndarray) -> str | None:
    if want.shape != got.shape:
        return f"{where}: shape {list(got.shape)}, expected {list(want.shape)}"
    if want.dtype == object:  # strings
        if np.array_equal(got, want):
            return None
        return f"{where}: {np.count_nonzero(got != want)} of {want.size} strings differ"
    if got.dtype != want.dtype:
        return f"{where}: dtype {got.dtype}, expected {want.dtype}"
    rtol = RTOL
    if want.dtype.name == "bfloat16":
        rtol = max(RTOL, 2**-6)
        got, want = got.astype(np.float32), want.astype(np.float32)
    try:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=ATOL)
        return None
    except AssertionError:
        pass
    bad = np.count_nonzero(~np.isclose(got, want, rtol=rtol, atol=ATOL, equal_nan=True))
    text = f"{where}: {bad} of {want.size} values differ"
    if want.dtype != np.bool_ and want.dtype.kind in "fiuc":
        diff = np.abs(got.astype(np.complex128 if want.dtype.kind == "c" else np.float64)
                      - want.astype(np.complex128 if want.dtype.kind == "c" else np.float64))
        text += f" (max abs diff {np.nanmax(diff):.3g})"
    return text


def _compare_value(where: str, want: Any, got: Any) -> str | None:
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)):
            return f"{where}: got {_describe(got)}, expected a sequence"
        if len(got) != len(want):
            return f"{where}: {len(got)} elements, expected {len(want)}"
        for k, (w, g) in enumerate(zip(want, got)):
            if (error := _compare_value(f"{where}[{k}]", w, g)) is not None:
                return error
        return None
    if want is None or got is None:  # an empty optional
        if want is None and got is None:
            return None
        return f"{where}: got {_describe(got)}, expected {_describe(want)}"
    if isinstance(want, dict) or not isinstance(got, np.ndarray):
        return f"{where}: got {_describe(got)}, expected {_describe(want)}"
    return _compare_array(where, np.asarray(want), got)


def compare(names: list[str], want: list[Any], got: list[Any]) -> str | None:
    """None when `got` matches `want` (one value per output); else why not, in one line."""
    if len(got) != len(want):
        return f"{len(got)} outputs, expected {len(want)}"
    for name, w, g in zip(names, want, got):
        if (error := _compare_value(f"output '{name}'", w, g)) is not None:
            return error
    return None


_EXPANDED = re.compile(r"(.*)_expanded(_ver\d+)?")


def tested_op(data_dir: str, case: Case) -> str:
    """The op a case tests: its node's op_type, with the domain unless ai.onnx.

    A function expansion `<base>_expanded[_verN]` tests the op of `<base>`,
    whose model is the op's single node.
    """
    model = case.model
    m = _EXPANDED.fullmatch(case.name)
    if m and os.path.exists(os.path.join(data_dir, m.group(1), "model.onnx")):
        model = onnx.load(os.path.join(data_dir, m.group(1), "model.onnx"))
    node = model.graph.node[0]
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return f"{node.domain}.{node.op_type}"


def default_opset(model: onnx.ModelProto) -> int | None:
    """The model's ai.onnx opset version (None if it imports none)."""
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx"):
            return op.version
    return None
